"""The journey settings page: how long web events are kept, which query parameters page addresses
keep. Saved through journey's action (the API's validation); owners and admins only."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.journey.actions import do_save_journey_settings
from apps.journey.models import JourneySettings


def _may_edit(request: HttpRequest) -> bool:
    return getattr(request.user, "role", "") in {"owner", "admin"}


@login_required
@require_http_methods(["GET", "POST"])
def journey_settings(request: HttpRequest) -> HttpResponse:
    if not _may_edit(request):
        return render(request, "core/forbidden.html", status=403)
    current = JourneySettings.current()
    values: dict[str, Any] = {
        "web_event_retention_days": current.web_event_retention_days,
        "allowed_query_params": "\n".join(current.allowed_query_params),
    }
    errors: dict[str, list[str]] = {}
    saved = False
    if request.method == "POST":
        values = {
            "web_event_retention_days": request.POST.get("web_event_retention_days", "").strip(),
            "allowed_query_params": request.POST.get("allowed_query_params", ""),
        }
        params = [p.strip() for p in values["allowed_query_params"].replace(",", "\n").splitlines() if p.strip()]
        try:
            days = int(values["web_event_retention_days"])
        except ValueError:
            errors["web_event_retention_days"] = [_("Enter a whole number of days.")]
        if not errors:
            try:
                do_save_journey_settings(
                    cast(User, request.user), web_event_retention_days=days, allowed_query_params=params
                )
                saved = True
                values["allowed_query_params"] = "\n".join(sorted(set(params)))
            except ApplicationError as exc:
                errors = exc.fields or {"form": [exc.message]}
    context = {"values": values, "errors": errors, "saved": saved}
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only 2xx answers: the form comes back with its errors (a plain POST gets 400).
        return render(request, "console/_journey_form.html", context)
    return render(request, "console/journey_settings.html", context, status=400 if errors else 200)
