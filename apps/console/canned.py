"""Settings: canned responses, with the variables they may use and a live preview (a sample customer,
the signed-in agent) that also says at once when a variable is unknown."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.inbox.actions import (
    VARIABLES,
    check_canned_body,
    do_delete_canned_response,
    do_save_canned_response,
)
from apps.inbox.actions.canned import canned_values, render_text
from apps.inbox.models import CannedResponse

SAMPLE_NAME, SAMPLE_EMAIL = "Jo Bloggs", "jo@example.com"


def _admin(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.user.role in {"owner", "admin"})  # type: ignore[union-attr]


def _preview(body: str, user: User) -> dict[str, Any]:
    try:
        check_canned_body(body)
    except ApplicationError as exc:
        return {"error": (exc.fields.get("body") or [exc.message])[0]}
    return {"text": render_text(body, canned_values(SAMPLE_NAME, SAMPLE_EMAIL, user))}


def _item(response: CannedResponse | None, user: User, values: dict[str, str] | None = None, errors: Any = None) -> Any:
    shown = values or (
        {"shortcut": response.shortcut, "title": response.title, "body": response.body}
        if response
        else {"shortcut": "", "title": "", "body": ""}
    )
    return {"response": response, "values": shown, "errors": errors or {}, "preview": _preview(shown["body"], user)}


@login_required
@require_http_methods(["GET", "POST"])
def canned_settings(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not _admin(request):
        return render(request, "core/forbidden.html", status=403)
    user = request.user
    if request.method == "POST":
        response = get_object_or_404(CannedResponse, pk=pk) if pk else None
        values = {k: request.POST.get(k, "").strip() for k in ("shortcut", "title")}
        values["body"] = request.POST.get("body", "")
        errors: dict[str, list[str]] = {}
        if not values["shortcut"]:
            errors["shortcut"] = [_("Give it a shortcut (letters, digits, dashes).")]
        elif CannedResponse.objects.filter(shortcut=values["shortcut"]).exclude(pk=pk or 0).exists():
            errors["shortcut"] = [_("Another response has this shortcut.")]
        if not values["title"]:
            errors["title"] = [_("Give it a title.")]
        if not errors:
            try:
                saved = do_save_canned_response(user, response=response, **values)  # type: ignore[arg-type]
                if request.htmx:  # type: ignore[attr-defined]
                    item = _item(saved, user)  # type: ignore[arg-type]
                    return render(request, "console/_canned_item.html", {"item": item, "saved": True})
                return redirect("settings-canned")
            except ApplicationError as exc:
                errors = exc.fields or {"body": [exc.message]}
        item = _item(response, user, values, errors)  # type: ignore[arg-type]
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "console/_canned_item.html", {"item": item})
        items = [_item(r, user) for r in CannedResponse.objects.order_by("shortcut")]  # type: ignore[arg-type]
        return render(
            request,
            "console/canned.html",
            {"items": items, "new": item if response is None else _item(None, user), "variables": VARIABLES},  # type: ignore[arg-type]
            status=400,
        )
    items = [_item(r, user) for r in CannedResponse.objects.order_by("shortcut")]  # type: ignore[arg-type]
    return render(
        request,
        "console/canned.html",
        {"items": items, "new": _item(None, user), "variables": VARIABLES},  # type: ignore[arg-type]
    )


@login_required
@require_POST
def canned_preview(request: HttpRequest) -> HttpResponse:
    if not _admin(request):
        return HttpResponse(status=403)
    return render(request, "console/_canned_preview.html", _preview(request.POST.get("body", ""), request.user))  # type: ignore[arg-type]


@login_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not _admin(request):
        return render(request, "core/forbidden.html", status=403)
    do_delete_canned_response(request.user, get_object_or_404(CannedResponse, pk=pk))  # type: ignore[arg-type]
    return HttpResponse("") if request.htmx else redirect("settings-canned")  # type: ignore[attr-defined]
