"""The providers' webhook handshake, `GET /hooks/messaging/<channel key>/` on the tenant's host (Meta's
`hub.challenge`, WeChat's `echostr`). Deliveries (POST) never reach Django: the ASGI application
answers them on the event loop (apps.messaging.asgi)."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .models import MessagingChannel
from .providers import ADAPTERS


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def webhook(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    channel = MessagingChannel.objects.filter(key=key, active=True).first()
    if channel is None:
        return _text(_("No such channel."), 404)
    if request.method != "GET":
        return _text(_("Deliveries are taken by the web process's event loop; this address answers handshakes."), 405)
    answer = ADAPTERS[channel.provider].handshake(channel, request)
    return answer or _text(_("This address takes POST deliveries."), 405)
