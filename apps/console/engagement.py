"""Settings: proactive invitations. Each rule with its funnel (shown, accepted, converted) over a
period; owners and admins edit them (the expression checked as it is typed, each fault beside its
field), supervisors read the counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.journey.engagement import (
    CONTACT_BUILTINS,
    PAGE_FACTS,
    SESSION_FACTS,
    check_rule_expression,
    do_delete_engagement_rule,
    do_save_engagement_rule,
)
from apps.journey.models import EngagementRule
from apps.journey.selectors import engagement_stats
from apps.routing.models import Queue

PERIODS = (7, 30, 90)
FIELDS = ("name", "expression", "action", "message", "queue", "capacity", "max_wait_seconds", "conversion_event")


def _role(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


def _values(rule: dict[str, Any] | None) -> dict[str, Any]:
    if rule is None:
        return {
            "name": "",
            "expression": "",
            "action": EngagementRule.Action.CHAT,
            "message": "",
            "queue": "",
            "capacity": EngagementRule.Capacity.AGENT_AVAILABLE,
            "max_wait_seconds": "",
            "conversion_event": "",
            "priority": 100,
            "enabled": True,
        }
    return {
        **{k: rule[k] for k in ("name", "expression", "action", "message", "capacity", "conversion_event")},
        "queue": rule["queue"]["id"] if rule["queue"] else "",
        "max_wait_seconds": rule["max_wait_seconds"] if rule["max_wait_seconds"] is not None else "",
        "priority": rule["priority"],
        "enabled": rule["enabled"],
    }


def _funnel(stats: dict[str, Any]) -> list[dict[str, Any]]:
    shown = stats["shown"] or 0
    return [
        {"label": _("Shown"), "n": shown, "percent": 100 if shown else 0, "key": "shown"},
        {"label": _("Accepted"), "n": stats["accepted"], "percent": stats["accept_rate"] or 0, "key": "accepted"},
        {
            "label": _("Converted"),
            "n": stats["converted"],
            "percent": stats["conversion_rate"] or 0,
            "key": "converted",
        },
    ]


def _item(rule: dict[str, Any] | None, values: dict[str, Any] | None = None, errors: Any = None) -> dict[str, Any]:
    return {
        "rule": rule,
        "values": values or _values(rule),
        "errors": errors or {},
        "funnel": _funnel(rule["stats"]) if rule and "stats" in rule else [],
    }


def _context(request: HttpRequest, days: int | None, **extra: Any) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=days) if days else None
    rules = engagement_stats(since=since)
    return {
        "items": [_item(r) for r in rules],
        "new": _item(None),
        "can_edit": _role(request) in {"owner", "admin"},
        "days": days,
        "periods": PERIODS,
        "choices": _choices(),
        "names": {"page": PAGE_FACTS, "session": SESSION_FACTS, "contact": CONTACT_BUILTINS},
        **extra,
    }


def _choices() -> dict[str, Any]:
    return {
        "actions": EngagementRule.Action.choices,
        "capacities": EngagementRule.Capacity.choices,
        "queues": list(Queue.objects.order_by("name").values_list("pk", "name")),
    }


def _period(request: HttpRequest) -> int | None:
    raw = request.GET.get("days", "30")
    return int(raw) if raw.isdigit() and int(raw) in PERIODS else None


def _posted(request: HttpRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's values as typed (shown back) and as the action takes them."""
    typed: dict[str, Any] = {k: request.POST.get(k, "").strip() for k in FIELDS}
    typed["priority"] = request.POST.get("priority", "100").strip()
    typed["enabled"] = request.POST.get("enabled") == "on"
    fields: dict[str, Any] = {k: typed[k] for k in ("name", "expression", "action", "message", "capacity")}
    fields["conversion_event"] = typed["conversion_event"]
    fields["enabled"] = typed["enabled"]
    errors: dict[str, list[str]] = {}
    for key in ("queue", "max_wait_seconds", "priority"):
        raw = typed[key]
        if raw == "":
            fields[key] = None if key != "priority" else 100
        elif raw.isdigit():
            fields[key] = int(raw)
        else:
            errors[key] = [_("Enter a whole number.")] if key != "queue" else [_("No such queue.")]
    return typed, {"fields": fields, "errors": errors}


@login_required
@require_http_methods(["GET", "POST"])
def engagement_settings(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    role = _role(request)
    if role not in {"owner", "admin", "supervisor"}:
        return render(request, "core/forbidden.html", status=403)
    days = _period(request)
    if request.method == "GET":
        return render(request, "console/engagement.html", _context(request, days))
    if role not in {"owner", "admin"}:
        return render(request, "core/forbidden.html", status=403)
    rule = get_object_or_404(EngagementRule, pk=pk) if pk else None
    typed, parsed = _posted(request)
    errors: dict[str, list[str]] = parsed["errors"]
    if not errors:
        try:
            saved = do_save_engagement_rule(cast(User, request.user), rule, **parsed["fields"])
        except ApplicationError as exc:
            errors = exc.fields or {"form": [exc.message]}
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                return redirect("settings-engagement")
            found = [r for r in engagement_stats(since=None) if r["id"] == saved.pk]
            item = _item(found[0])
            if rule is None:  # the new rule joins the list; the form is empty again
                return render(
                    request,
                    "console/_engagement_created.html",
                    {"item": item, "new": _item(None), "choices": _choices(), "can_edit": True, "saved": True},
                )
            return render(
                request,
                "console/_engagement_item.html",
                {"item": item, "choices": _choices(), "can_edit": True, "saved": True},
            )
    current = [r for r in engagement_stats(since=None) if rule and r["id"] == rule.pk]
    item = _item(current[0] if current else None, typed, errors)
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx answers: the form comes back with its errors (a plain POST gets 400).
        return render(request, "console/_engagement_item.html", {"item": item, "choices": _choices(), "can_edit": True})
    context = _context(request, days)
    if rule is None:
        context["new"] = item
    else:
        context["items"] = [item if i["rule"]["id"] == rule.pk else i for i in context["items"]]
    return render(request, "console/engagement.html", context, status=400)


@login_required
@require_POST
def engagement_check(request: HttpRequest) -> HttpResponse:
    """The expression as it is typed: fine, or the fault and where."""
    if _role(request) not in {"owner", "admin"}:
        return HttpResponse(status=403)
    text = request.POST.get("expression", "")
    if not text.strip():
        return render(request, "console/_step_check.html", {"empty": True})
    try:
        check_rule_expression(text)
    except ApplicationError as exc:
        return render(request, "console/_step_check.html", {"error": exc.message})
    return render(request, "console/_step_check.html", {"message": _("Looks right.")})


@login_required
@require_POST
def engagement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if _role(request) not in {"owner", "admin"}:
        return render(request, "core/forbidden.html", status=403)
    do_delete_engagement_rule(cast(User, request.user), get_object_or_404(EngagementRule, pk=pk))
    return HttpResponse("") if request.htmx else redirect("settings-engagement")  # type: ignore[attr-defined]
