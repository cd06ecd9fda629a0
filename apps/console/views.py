"""The home page (a new business's onboarding checklist, warnings about its setup, the snippet) and
the settings pages, server-rendered with htmx for partial updates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.selectors import team_members
from apps.core.errors import ApplicationError
from apps.routing.models import Queue
from apps.widget.actions import do_update_widget_key
from apps.widget.models import DEFAULT_GREETING, WidgetKey

from .selectors import onboarding, setup_warnings


@login_required
def home(request: HttpRequest) -> HttpResponse:
    manager = request.user.role in {"owner", "admin"}  # type: ignore[union-attr]
    context: dict[str, Any] = {
        "members": team_members(),
        "widget_keys": WidgetKey.objects.filter(enabled=True) if manager else [],
    }
    if manager:
        steps = onboarding(request.tenant)  # type: ignore[attr-defined]
        context.update(
            steps=steps,
            steps_done=sum(1 for s in steps if s.done),
            warnings=setup_warnings(),
        )
    return render(request, "console/home.html", context)


def _role_in(request: HttpRequest, roles: set[str]) -> bool:
    return bool(request.user.is_authenticated and request.user.role in roles)  # type: ignore[union-attr]


@login_required
def settings_index(request: HttpRequest) -> HttpResponse:
    if not _role_in(request, {"owner", "admin", "supervisor"}):
        return render(request, "core/forbidden.html", status=403)
    return render(request, "console/settings_index.html", {"can_admin": _role_in(request, {"owner", "admin"})})


@login_required
@require_http_methods(["GET", "POST"])
def widget_settings(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Widget keys: name, queue, allowed origins (one per line), greeting, pre-chat form, on/off,
    with the snippet to copy. Saved through the widget's actions (the same validation as the API);
    with htmx only the edited card is replaced, with its errors or a confirmation."""
    if not _role_in(request, {"owner", "admin"}):
        return render(request, "core/forbidden.html", status=403)
    queues = list(Queue.objects.order_by("name"))
    if request.method == "GET":
        cards = [_card(request, wk) for wk in WidgetKey.objects.select_related("queue").order_by("pk")]
        return render(request, "console/widget_settings.html", {"cards": cards, "queues": queues})
    wk = get_object_or_404(WidgetKey, pk=pk)
    values = {
        "name": request.POST.get("name", "").strip(),
        "greeting": request.POST.get("greeting", "").strip(),
        "allowed_origins": [line for line in request.POST.get("allowed_origins", "").splitlines() if line.strip()],
        "prechat_form": request.POST.get("prechat_form") == "on",
        "enabled": request.POST.get("enabled") == "on",
        "greetings": {code: request.POST.get(f"greeting_{code}", "").strip() for code, _name in _other_languages()},
    }
    errors: dict[str, list[str]] = {}
    if not values["name"]:
        errors["name"] = [str(_("Give the key a name."))]
    if not values["greeting"]:
        errors["greeting"] = [str(_("Write a greeting."))]
    queue = next((q for q in queues if str(q.pk) == request.POST.get("queue")), None)
    if queue is None:
        errors["queue"] = [str(_("Choose a queue."))]
    saved = False
    if not errors:
        try:
            wk = do_update_widget_key(request.user, wk, queue=queue, **values)
            saved = True
        except ApplicationError as exc:
            errors = exc.fields or {"form": [exc.message]}
    card = _card(request, wk, values=None if saved else values, errors=errors, saved=saved)
    template = "console/_widget_card.html" if request.htmx else "console/widget_settings.html"  # type: ignore[attr-defined]
    if not request.htmx:  # type: ignore[attr-defined]
        cards = [
            card if c["key"].pk == wk.pk else c for c in (_card(request, k) for k in WidgetKey.objects.order_by("pk"))
        ]
        return render(request, template, {"cards": cards, "queues": queues}, status=400 if errors else 200)
    return render(request, template, {"card": card, "queues": queues}, status=200)


def _other_languages() -> list[tuple[str, str]]:
    """The product's languages other than the default one: a greeting may be written for each."""
    return [(code, str(name)) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _stock_greeting(code: str) -> str:
    with translation.override(code):
        return translation.gettext(DEFAULT_GREETING)


def snippet(request: HttpRequest, wk: WidgetKey) -> str:
    base = f"{request.scheme}://{request.get_host()}"
    return f'<script src="{base}/widget.js" data-key="{wk.public_key}" async></script>'


def _card(
    request: HttpRequest,
    wk: WidgetKey,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    shown = values or {
        "name": wk.name,
        "greeting": wk.greeting,
        "allowed_origins": wk.allowed_origins,
        "prechat_form": wk.prechat_form,
        "enabled": wk.enabled,
        "greetings": wk.greetings,
    }
    greetings = [
        {
            "code": code,
            "name": name,
            "value": (shown.get("greetings") or {}).get(code, ""),
            "placeholder": _stock_greeting(code),
        }
        for code, name in _other_languages()
    ]
    return {
        "key": wk,
        "values": {**shown, "origins_text": "\n".join(shown["allowed_origins"]), "greeting_rows": greetings},
        "queue_id": wk.queue_id,
        "errors": errors or {},
        "saved": saved,
        "snippet": snippet(request, wk),
    }
