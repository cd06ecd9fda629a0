"""Settings: business hours. Weekly opening hours per day in a time zone, and holiday dates when the
queues that follow them are closed. Saved through the REST API's serializer (the same checks:
routing.hours.check_weekly, the time zone, one entry per date), whose save calls routing's action
(the audit row). Owners and admins edit; supervisors see them read-only."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import ApplicationError
from apps.routing.actions_settings import do_delete_business_hours
from apps.routing.apis import BusinessHoursSerializer
from apps.routing.hours import DAYS
from apps.routing.models import BusinessHours

DAY_NAMES = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}
SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")  # noqa: RUF001  (an en dash too)


def _role_in(request: HttpRequest, roles: set[str]) -> bool:
    return bool(request.user.is_authenticated and request.user.role in roles)  # type: ignore[union-attr]


def _spans_text(spans: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans)


def _form_data(post: QueryDict) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, str]]:
    """The POSTed form as the API's JSON, the problems only the form can have (hours typed in a way
    that is not "09:00-17:00"), and the typed day texts."""
    weekly: dict[str, list[list[str]]] = {}
    errors: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for day in DAYS:
        text = post.get(f"day_{day}", "").strip()
        texts[day] = text
        spans = []
        for piece in filter(None, (p.strip() for p in text.split(","))):
            match = SPAN.match(piece)
            if match is None:
                errors[f"day_{day}"] = [
                    _("“%(text)s” is not like 09:00-17:00. Separate several spans with commas.") % {"text": piece}
                ]
                break
            spans.append([f"{int(h):02d}:{m}" for h, m in (t.split(":") for t in match.groups())])
        if spans:
            weekly[day] = spans
    holidays = [
        {"date": d.strip(), "name": n.strip()}
        for d, n in zip(post.getlist("holiday_date"), post.getlist("holiday_name"), strict=False)
        if d.strip() or n.strip()
    ]
    data = {
        "name": post.get("name", "").strip(),
        "timezone": post.get("timezone", "").strip(),
        "weekly": weekly,
        "holidays": holidays,
    }
    return data, errors, texts


def _context(
    hours: BusinessHours | None,
    values: dict[str, Any] | None = None,
    texts: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    errors = dict(errors or {})
    if values is None:
        values = {
            "name": hours.name if hours else "",
            "timezone": hours.timezone if hours else "UTC",
            "holidays": [{"date": h.date.isoformat(), "name": h.name} for h in hours.holidays.order_by("date")]
            if hours
            else [],
        }
        weekly = hours.weekly if hours else {}
        texts = {day: _spans_text(weekly.get(day, [])) for day in DAYS}
    # check_weekly's messages start with the day ("mon: ..."): show each at its day.
    day_errors: dict[str, list[str]] = {f"day_{d}": list(errors.pop(f"day_{d}", [])) for d in DAYS}
    for message in errors.pop("weekly", []):
        day = str(message).split(":", 1)[0]
        if day in DAYS:
            day_errors[f"day_{day}"].append(str(message))
        else:
            errors.setdefault("weekly", []).append(str(message))
    raw_holidays = errors.pop("holidays", [])
    holiday_rows = []
    for n, h in enumerate([*values["holidays"], {"date": "", "name": ""}]):
        problem = raw_holidays[n] if isinstance(raw_holidays, list) and n < len(raw_holidays) else {}
        row_errors = [str(e) for v in problem.values() for e in v] if isinstance(problem, dict) else []
        holiday_rows.append({"n": n, **h, "errors": row_errors})
    holiday_errors = [str(e) for e in raw_holidays if not isinstance(e, dict)] if isinstance(raw_holidays, list) else []
    days = [
        {"key": d, "label": DAY_NAMES[d], "text": (texts or {}).get(d, ""), "errors": day_errors.get(f"day_{d}", [])}
        for d in DAYS
    ]
    return {
        "hours": hours,
        "values": values,
        "days": days,
        "holiday_rows": holiday_rows,
        "holiday_errors": holiday_errors,
        "errors": {k: [str(e) for e in v] for k, v in errors.items() if isinstance(v, list)},
        "any_error": bool(errors or any(d["errors"] for d in days) or holiday_errors)
        or any(r["errors"] for r in holiday_rows),
        "timezones": sorted(zoneinfo.available_timezones()),
    }


@login_required
def hours_list(request: HttpRequest) -> HttpResponse:
    if not _role_in(request, {"owner", "admin", "supervisor"}):
        return render(request, "core/forbidden.html", status=403)
    rows = []
    for h in BusinessHours.objects.order_by("name").prefetch_related("holidays", "queue_set"):
        rows.append(
            {
                "hours": h,
                "days": [(DAY_NAMES[d], _spans_text(h.weekly.get(d, []))) for d in DAYS],
                "holidays": sorted(h.holidays.all(), key=lambda x: x.date),
                "queues": sorted(q.name for q in h.queue_set.all()),
            }
        )
    return render(request, "console/hours.html", {"rows": rows, "can_edit": _role_in(request, {"owner", "admin"})})


@login_required
@require_http_methods(["GET", "POST"])
def hours_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not _role_in(request, {"owner", "admin"}):
        return render(request, "core/forbidden.html", status=403)
    hours = get_object_or_404(BusinessHours, pk=pk) if pk else None
    if request.method == "GET":
        return render(request, "console/hours_edit.html", _context(hours))
    data, form_errors, texts = _form_data(request.POST)
    serializer = BusinessHoursSerializer(hours, data=data, context={"request": request})
    valid = serializer.is_valid()
    errors: dict[str, Any] = {**(serializer.errors if not valid else {}), **form_errors}
    if not errors:
        try:
            saved = serializer.save()
        except ApplicationError as exc:
            errors = exc.fields or {"name": [exc.message]}
    if errors:
        context = _context(hours, data, texts, errors)
        htmx = bool(request.htmx)  # type: ignore[attr-defined]
        template = "console/_hours_form.html" if htmx else "console/hours_edit.html"
        return render(request, template, context, status=200 if htmx else 400)
    if hours is None:
        messages.success(request, _("“%(name)s” added.") % {"name": saved.name})
        return redirect("settings-hours-edit", pk=saved.pk)
    context = _context(saved)
    context["saved"] = True
    template = "console/_hours_form.html" if request.htmx else "console/hours_edit.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
@require_POST
def hours_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not _role_in(request, {"owner", "admin"}):
        return render(request, "core/forbidden.html", status=403)
    hours = get_object_or_404(BusinessHours, pk=pk)
    try:
        do_delete_business_hours(request.user, hours)  # type: ignore[arg-type]
    except ApplicationError as exc:
        context = _context(hours)
        context["delete_error"] = exc.message
        return render(request, "console/hours_edit.html", context, status=409)
    messages.success(request, _("“%(name)s” deleted.") % {"name": hours.name})
    return redirect("settings-hours")
