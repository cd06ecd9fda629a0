"""The providers' webhook handshake, `GET /hooks/messaging/<channel key>/` on the tenant's host (Meta's
`hub.challenge`, WeChat's `echostr`). Deliveries (POST) never reach Django: the ASGI application
answers them on the event loop (apps.messaging.asgi).

`GET /hooks/messaging/files/<token>/`: a file an agent sent, for a provider that fetches it itself
(Twilio's MMS); the token is signed, names the tenant and the attachment, and expires in an hour."""

from __future__ import annotations

import uuid

from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from apps.core.tenancy import current_schema
from apps.inbox.models import Attachment

from .models import MessagingChannel
from .outbound import FILE_LINK_SECONDS, FILE_SALT
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


def sent_file(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    try:
        signed = signing.loads(token, salt=FILE_SALT, max_age=FILE_LINK_SECONDS)
    except signing.SignatureExpired:
        return _text(_("This link has expired."), 410)
    except signing.BadSignature:
        return _text(_("No such file."), 404)
    if not isinstance(signed, dict) or signed.get("s") != current_schema():  # another tenant's link
        return _text(_("No such file."), 404)
    attachment_id = signed.get("a")
    attachment = Attachment.objects.filter(pk=attachment_id).first() if isinstance(attachment_id, int) else None
    if attachment is None:
        return _text(_("No such file."), 404)
    try:
        handle = attachment.file.open("rb")
    except OSError:
        return _text(_("No such file."), 404)
    response = FileResponse(handle, content_type=attachment.content_type or "application/octet-stream")
    shown = attachment.content_type.split("/", 1)[0] in ("image", "audio", "video")
    response["Content-Disposition"] = "inline" if shown else "attachment"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"  # never a page on the tenant's host
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
