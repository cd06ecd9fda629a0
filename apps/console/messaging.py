"""Settings: messaging channels. Each connected channel (an SMS number through Twilio, a WhatsApp
number, a Facebook page, a WeChat official account, a Telegram bot) with the address to give the
provider, its queue, its credentials (never shown back: a blank field keeps the stored one) and, for
WhatsApp, the approved templates; connecting a new one is two steps (the provider, then its fields).
Saved through messaging's actions (the same checks as the API)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.core.validation import whole_number
from apps.messaging.actions import do_delete_channel, do_save_channel
from apps.messaging.models import MessagingChannel, Provider
from apps.messaging.outbound import webhook_url
from apps.messaging.providers import ADAPTERS
from apps.routing.models import Queue


def _templates(text: str) -> list[dict[str, str]]:
    """One template a line: `name | language | text` (language and text may be left out)."""
    out = []
    for line in text.splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|", 2)]
            out.append(
                {
                    "name": parts[0],
                    "language": parts[1] if len(parts) > 1 else "en",
                    "text": parts[2] if len(parts) > 2 else "",
                }
            )
    return out


def _values(request: HttpRequest, provider: str) -> dict[str, Any]:
    adapter = ADAPTERS[provider]
    return {
        "provider": provider,
        "name": request.POST.get("name", "").strip(),
        "address": request.POST.get("address", "").strip(),
        "queue": whole_number(request.POST.get("queue")),
        "secrets": {f.name: request.POST.get(f"secret_{f.name}", "") for f in adapter.secret_fields},
        "templates": _templates(request.POST.get("templates", "")),
        "templates_text": request.POST.get("templates", ""),
        "active": request.POST.get("active") == "on",
    }


def _form(
    provider: str, channel: MessagingChannel | None, values: dict[str, Any] | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    adapter = ADAPTERS[provider]
    secrets = [
        {
            "name": f.name,
            "label": f.label,
            "set": bool(channel and channel.secrets.get(f.name)),
            "errors": errors.get(f.name, []),
        }
        for f in adapter.secret_fields
    ]
    templates = (values or {}).get("templates_text")
    if templates is None and channel is not None:
        templates = "\n".join(f"{t['name']} | {t['language']} | {t['text']}" for t in channel.templates)
    return {
        "provider": provider,
        "provider_name": dict(Provider.choices)[provider],
        "address_label": adapter.address_label,
        "secrets": secrets,
        "templates": templates or "",
        "values": values,
        "errors": errors,
    }


@login_required
@require_http_methods(["GET", "POST"])
def messaging_settings(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = cast(User, request.user)
    if user.role not in ("owner", "admin"):
        return render(request, "core/forbidden.html", status=403)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] | None = None
    existing = MessagingChannel.objects.filter(pk=pk).first() if pk else None
    adding = request.GET.get("provider") or request.POST.get("provider") or ""
    if request.method == "POST":
        step = request.POST.get("step", "save")
        try:
            if step == "delete" and existing is not None:
                do_delete_channel(user, existing.pk)
                messages.success(request, _("Channel removed: its conversations stay in the inbox."))
                return redirect("settings-messaging")
            provider = existing.provider if existing else adding
            if provider not in ADAPTERS:
                raise ApplicationError(_("Choose a provider."))
            values = _values(request, provider)
            if existing is None:
                values["active"] = True
            channel = do_save_channel(user, values, existing.pk if existing else None)
        except ApplicationError as exc:
            errors = dict(exc.fields or {"name": [exc.message]})
        else:
            messages.success(
                request,
                _("Saved: messages to %(name)s go to %(queue)s.") % {"name": channel.name, "queue": channel.queue.name},
            )
            return redirect(reverse("settings-messaging") + f"#channel-{channel.pk}")
    channels = []
    for channel in MessagingChannel.objects.select_related("queue").order_by("provider", "name"):
        mine = pk == channel.pk
        channels.append(
            {
                "channel": channel,
                "webhook": webhook_url(channel),
                **_form(channel.provider, channel, values if mine else None, errors if mine else {}),
            }
        )
    new = (
        _form(adding, None, values if pk is None else None, errors if pk is None else {})
        if adding in ADAPTERS
        else None
    )
    return render(
        request,
        "console/messaging_settings.html",
        {"channels": channels, "new": new, "providers": Provider.choices, "queues": Queue.objects.order_by("name")},
        status=400 if errors else 200,
    )
