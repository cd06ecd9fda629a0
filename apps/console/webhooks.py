"""Settings: webhooks. The addresses of the tenant's own systems that hear of its events (signed with a
secret shown once, when made or rotated), which events each hears, whether it is on (and why it was
turned off), and the latest deliveries with every attempt's answer and a replay button. Saved through
webhooks' actions (the same checks as the API)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.webhooks.actions import do_delete_subscription, do_replay_delivery, do_rotate_secret, do_save_subscription
from apps.webhooks.models import EVENTS, Subscription
from apps.webhooks.selectors import recent_deliveries


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    return None


def _values(request: HttpRequest) -> dict[str, Any]:
    return {
        "url": request.POST.get("url", "").strip(),
        "description": request.POST.get("description", ""),
        "events": request.POST.getlist("events"),
        "is_active": request.POST.get("is_active") == "on",
    }


def _page(request: HttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    return render(
        request,
        "console/webhooks_settings.html",
        {
            "subscriptions": Subscription.objects.all(),
            "events": [(name, str(text)) for name, text in EVENTS.items()],
            "deliveries": recent_deliveries(),
            "new_values": {},
            "new_errors": {},
            "edit_errors": {},
            "edit_pk": None,
            **extra,
        },
        status=status,
    )


def _error_text(exc: ApplicationError) -> str:
    detail = " ".join(" ".join(v) for v in (exc.fields or {}).values())
    return f"{exc.message} {detail}".strip()


@login_required
@require_http_methods(["GET", "POST"])
def webhooks_settings(request: HttpRequest) -> HttpResponse:
    refused = _forbidden(request)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _page(request)
    posted = _values(request)
    try:
        sub, secret = do_save_subscription(cast(User, request.user), posted)
    except ApplicationError as exc:
        return _page(request, status=400, new_values=posted, new_errors=dict(exc.fields or {"url": [exc.message]}))
    # Not through a redirect and the messages cookie: the secret is shown in this answer only.
    messages.success(request, _("Webhook added: events now go to %(url)s.") % {"url": sub.url})
    return _page(request, secret=secret, secret_for=sub.pk)


@login_required
@require_http_methods(["POST"])
def webhook_change(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _forbidden(request)
    if refused is not None:
        return refused
    user = cast(User, request.user)
    step = request.POST.get("step", "save")
    try:
        if step == "rotate":
            sub, secret = do_rotate_secret(user, pk)
            messages.success(request, _("New secret made: sign checks with it from now on."))
            return _page(request, secret=secret, secret_for=sub.pk)
        if step == "delete":
            do_delete_subscription(user, pk)
            messages.success(request, _("Webhook removed."))
            return redirect("settings-webhooks")
        posted = _values(request)
        do_save_subscription(user, posted, pk)
    except ApplicationError as exc:
        if step == "save":
            return _page(request, status=400, edit_pk=pk, edit_errors=dict(exc.fields or {"url": [exc.message]}))
        messages.error(request, _error_text(exc))
        return redirect("settings-webhooks")
    messages.success(request, _("Saved."))
    return redirect("settings-webhooks")


@login_required
@require_http_methods(["POST"])
def webhook_replay(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _forbidden(request)
    if refused is not None:
        return refused
    try:
        delivery = do_replay_delivery(cast(User, request.user), pk)
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Sending %(event)s again: its result appears in the log below.") % {
            "event": delivery.event})  # fmt: skip
    return redirect("settings-webhooks")
