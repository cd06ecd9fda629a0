"""The providers' webhook, `/hooks/messaging/<channel key>/` on the tenant's host: the handshake (GET),
and deliveries (POST) checked, stored once and answered at once; the inbox work is the messaging
queue's (apps.messaging.tasks.drain). Kept lean: the provider waits (WeChat 5 s, Meta and Twilio a
little more) and retries what we answer slowly."""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from apps.core.tenancy import current_schema

from .actions import do_store_inbound
from .models import MessagingChannel
from .providers import ADAPTERS, Refused
from .tasks import wake

MAX_BODY_BYTES = 1024 * 1024


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
def webhook(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    channel = MessagingChannel.objects.filter(key=key, active=True).first()
    if channel is None:
        return _text(_("No such channel."), 404)
    adapter = ADAPTERS[channel.provider]
    if request.method == "GET":
        return adapter.handshake(channel, request) or _text(_("This address takes POST deliveries."), 405)
    if request.method != "POST":
        return _text(_("This address takes POST deliveries."), 405)
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return _text(_("The delivery is larger than 1 MB."), 413)
    body = request.body
    try:
        adapter.verify(channel, request, body)
        events = adapter.parse(channel, request, body)
    except Refused as exc:
        return _text(exc.message, exc.status)
    if events:
        do_store_inbound(channel, events)
        wake(current_schema())
    return adapter.ack()
