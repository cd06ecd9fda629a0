"""WhatsApp Cloud API and Facebook Messenger: Meta's webhooks. The URL is proven by the handshake (a GET
with `hub.mode=subscribe`, our verify token, and `hub.challenge` to echo); each delivery by
`X-Hub-Signature-256`, `sha256=` and the HMAC-SHA256 of the raw body keyed by the app secret.

WhatsApp lets a business write freely only within 24 hours of the customer's last message; after it,
only an approved template (the send task checks the window before calling)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import (
    Adapter,
    Event,
    Media,
    OutFile,
    Permanent,
    Refused,
    SecretField,
    api_error,
    iso,
    json_body,
    same,
)

GRAPH_VERSION = "v20.0"
_WA_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
# WhatsApp's codes for "outside the customer service window" (re-engagement needs a template).
WINDOW_CLOSED_CODES = {131047, 131026}


class _Meta(Adapter):
    default_base = "https://graph.facebook.com"
    media_hosts = ("fbcdn.net", "facebook.com", "fbsbx.com", "whatsapp.net")

    def handshake(self, channel: Any, request: HttpRequest) -> HttpResponse | None:
        if request.GET.get("hub.mode") != "subscribe":
            return HttpResponse(_("Not a subscription handshake."), status=400, content_type="text/plain")
        if not same(request.GET.get("hub.verify_token", ""), channel.verify_token):
            return HttpResponse(_("The verify token does not match."), status=403, content_type="text/plain")
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")

    def verify(self, channel: Any, request: HttpRequest, body: bytes) -> None:
        given = request.headers.get("X-Hub-Signature-256", "")
        secret = channel.secret("app_secret")
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not secret or not same(given, expected):
            raise Refused(_("The X-Hub-Signature-256 signature does not match the body."))

    def headers(self, channel: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {channel.secret('access_token')}"}


class WhatsApp(_Meta):
    provider = "whatsapp"
    address_label = gettext_lazy("Phone number id")
    secret_fields = (
        SecretField("access_token", gettext_lazy("Access token")),
        SecretField("app_secret", gettext_lazy("App secret")),
    )

    def parse(self, channel: Any, request: HttpRequest, body: bytes) -> list[Event]:
        data = json_body(body)
        if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
            raise Refused(_("Not a WhatsApp Business Account delivery."), status=400)
        events: list[Event] = []
        for entry in _list(data.get("entry")):
            for change in _list(entry.get("changes")):
                value = change.get("value") if isinstance(change, dict) else None
                if not isinstance(value, dict):
                    continue
                number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
                if number_id and number_id != channel.address:
                    raise Refused(_("This delivery is for another WhatsApp number."), status=400)
                names = {
                    str(c.get("wa_id")): str((c.get("profile") or {}).get("name", ""))
                    for c in _list(value.get("contacts"))
                }
                for m in _list(value.get("messages")):
                    events.append(self._message(m, names))
                for s in _list(value.get("statuses")):
                    status = _WA_STATUS.get(str(s.get("status", "")))
                    if status and s.get("id"):
                        errors = _list(s.get("errors"))
                        error = str(errors[0].get("title") or errors[0].get("message") or "") if errors else ""
                        events.append(
                            Event(
                                kind="status",
                                provider_id=str(s["id"]),
                                status=status,
                                error=error,
                                at=iso(s.get("timestamp")),
                            )
                        )
        return events

    def _message(self, m: dict[str, Any], names: dict[str, str]) -> Event:
        if not m.get("id") or not m.get("from"):
            raise Refused(_("A message without id or sender."), status=400)
        sender = str(m["from"])
        kind = str(m.get("type", ""))
        text, media = "", []
        if kind == "text":
            text = str((m.get("text") or {}).get("body", ""))
        elif kind in ("image", "document", "audio", "video", "sticker"):
            part = m.get(kind) or {}
            text = str(part.get("caption", ""))
            media.append(
                Media(
                    ref=str(part.get("id", "")),
                    content_type=str(part.get("mime_type", "")),
                    name=str(part.get("filename", "")),
                )
            )
        elif kind in ("button", "interactive"):
            part = m.get(kind) or {}
            text = str(part.get("text") or (part.get("button_reply") or {}).get("title") or "")
        else:
            text = _("(a %(kind)s message this inbox cannot show)") % {"kind": kind or "?"}
        return Event(
            kind="message",
            provider_id=str(m["id"]),
            address=sender,
            phone=sender,  # made E.164 when filed
            name=names.get(sender, ""),
            text=text,
            media=media,
            at=iso(m.get("timestamp")),
        )

    def send(
        self,
        channel: Any,
        to: str,
        text: str,
        *,
        template: dict[str, Any] | None = None,
        callback: str = "",
        file: OutFile | None = None,
    ) -> str:
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        if file is not None:
            # Uploaded to WhatsApp first (its media id, kept 30 days), then sent by id.
            upload = self.call(
                "POST",
                f"{self.base()}/{GRAPH_VERSION}/{channel.address}/media",
                data={"messaging_product": "whatsapp", "type": file.content_type},
                files={"file": (file.name, file.data, file.content_type)},
                headers=self.headers(channel),
            )
            if upload.status_code != 200 or not str(upload.json().get("id", "")):
                raise Permanent(api_error(upload))
            media: dict[str, Any] = {"id": str(upload.json()["id"])}
            if file.kind != "audio" and text:
                media["caption"] = text[:1024]
            if file.kind == "document":
                media["filename"] = file.name
            payload |= {"type": file.kind, file.kind: media}
        elif template:
            payload |= {
                "type": "template",
                "template": {"name": template["name"], "language": {"code": template.get("language") or "en"}},
            }
        else:
            payload |= {"type": "text", "text": {"body": text, "preview_url": False}}
        url = f"{self.base()}/{GRAPH_VERSION}/{channel.address}/messages"
        response = self.call("POST", url, json=payload, headers=self.headers(channel))
        if response.status_code != 200:
            raise Permanent(_window_error(response) or api_error(response))
        messages = response.json().get("messages") or [{}]
        return str(messages[0].get("id", ""))

    def fetch_media(self, channel: Any, media: Media) -> tuple[bytes, str]:
        if not media.ref.isalnum():
            raise Permanent(_("Not a WhatsApp media id."))
        response = self.call("GET", f"{self.base()}/{GRAPH_VERSION}/{media.ref}", headers=self.headers(channel))
        if response.status_code != 200:
            raise Permanent(api_error(response))
        return self.download(str(response.json().get("url", "")), headers=self.headers(channel))


def _window_error(response: Any) -> str:
    try:
        code = int(((response.json() or {}).get("error") or {}).get("code", 0))
    except (ValueError, TypeError, AttributeError):
        return ""
    if code in WINDOW_CLOSED_CODES:
        return _("More than 24 hours since the customer's last message: only an approved template can be sent.")
    return ""


class Messenger(_Meta):
    provider = "messenger"
    address_label = gettext_lazy("Page id")
    secret_fields = (
        SecretField("access_token", gettext_lazy("Page access token")),
        SecretField("app_secret", gettext_lazy("App secret")),
    )

    def parse(self, channel: Any, request: HttpRequest, body: bytes) -> list[Event]:
        data = json_body(body)
        if not isinstance(data, dict) or data.get("object") != "page":
            raise Refused(_("Not a Messenger page delivery."), status=400)
        events: list[Event] = []
        for entry in _list(data.get("entry")):
            if str(entry.get("id", "")) != channel.address:
                raise Refused(_("This delivery is for another page."), status=400)
            for item in _list(entry.get("messaging")):
                sender = str((item.get("sender") or {}).get("id", ""))
                at = iso(int(item.get("timestamp") or 0) // 1000)
                message = item.get("message")
                if isinstance(message, dict) and not message.get("is_echo"):
                    if not message.get("mid") or not sender:
                        raise Refused(_("A message without id or sender."), status=400)
                    media = [
                        Media(ref=str((a.get("payload") or {}).get("url", "")), content_type="")
                        for a in _list(message.get("attachments"))
                        if (a.get("payload") or {}).get("url")
                    ]
                    events.append(
                        Event(
                            kind="message",
                            provider_id=str(message["mid"]),
                            address=sender,
                            text=str(message.get("text", "")),
                            media=media,
                            at=at,
                        )
                    )
                delivery = item.get("delivery")
                if isinstance(delivery, dict):
                    for mid in _list(delivery.get("mids"), str):
                        events.append(Event(kind="status", provider_id=mid, status="delivered", at=at))
                read = item.get("read")
                if isinstance(read, dict) and sender:
                    watermark = iso(int(read.get("watermark") or 0) // 1000)
                    events.append(
                        Event(
                            kind="status",
                            provider_id=f"read:{sender}:{read.get('watermark')}",
                            address=sender,
                            status="read",
                            at=watermark,
                        )
                    )
        return events

    def send(
        self,
        channel: Any,
        to: str,
        text: str,
        *,
        template: dict[str, Any] | None = None,
        callback: str = "",
        file: OutFile | None = None,
    ) -> str:
        url = f"{self.base()}/{GRAPH_VERSION}/me/messages"
        message_id = ""
        if text.strip() or file is None:  # Messenger takes no caption: the text goes first, on its own
            payload = {"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": {"text": text}}
            response = self.call("POST", url, json=payload, headers=self.headers(channel))
            if response.status_code != 200:
                raise Permanent(api_error(response))
            message_id = str(response.json().get("message_id", ""))
        if file is not None:
            kind = "file" if file.kind == "document" else file.kind
            attachment = {"attachment": {"type": kind, "payload": {"is_reusable": False}}}
            response = self.call(
                "POST",
                url,
                data={
                    "recipient": json.dumps({"id": to}),
                    "messaging_type": "RESPONSE",
                    "message": json.dumps(attachment),
                },
                files={"filedata": (file.name, file.data, file.content_type)},
                headers=self.headers(channel),
            )
            if response.status_code != 200:
                raise Permanent(api_error(response))
            message_id = str(response.json().get("message_id", ""))
        return message_id

    def fetch_media(self, channel: Any, media: Media) -> tuple[bytes, str]:
        return self.download(media.ref)


def _list(value: Any, kind: type = dict) -> list[Any]:
    return [v for v in value if isinstance(v, kind)] if isinstance(value, list) else []
