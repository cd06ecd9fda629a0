"""SMS through Twilio. A delivery is Twilio's when `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed
by the account's auth token, of the public URL Twilio called followed by every form field (name then
value, sorted by name). The URL is the one the customer's proxy received: with a TLS-terminating
proxy in TRUSTED_PROXIES its `X-Forwarded-Proto` makes it https (apps.core.proxy); from anyone else
that header is dropped, so a plain-http request cannot pass as the https URL Twilio signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Adapter, Event, Media, OutFile, Permanent, Refused, SecretField, api_error, same

_STATUS = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed", "undelivered": "failed"}


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    payload = url + "".join(k + v for k, v in sorted(params, key=lambda kv: kv[0]))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class Twilio(Adapter):
    provider = "twilio"
    default_base = "https://api.twilio.com"
    address_label = gettext_lazy("Twilio phone number (E.164)")
    secret_fields = (
        SecretField("account_sid", gettext_lazy("Account SID")),
        SecretField("auth_token", gettext_lazy("Auth token")),
    )
    media_hosts = ("api.twilio.com", "twilio.com")

    def verify(self, channel: Any, request: HttpRequest, body: bytes) -> None:
        params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        given = request.headers.get("X-Twilio-Signature", "")
        expected = signature(channel.secret("auth_token"), request.build_absolute_uri(), params)
        if not same(given, expected):
            raise Refused(_("The Twilio signature does not match this address and body."))
        fields = dict(params)
        if fields.get("AccountSid") and not same(fields["AccountSid"], channel.secret("account_sid")):
            raise Refused(_("This delivery is for another Twilio account."))

    def parse(self, channel: Any, request: HttpRequest, body: bytes) -> list[Event]:
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
        if not sid:
            raise Refused(_("MessageSid is missing."), status=400)
        now = timezone.now().isoformat()
        if "MessageStatus" in fields:
            status = _STATUS.get(fields["MessageStatus"], "")
            error = fields.get("ErrorMessage") or (
                f"Twilio error {fields['ErrorCode']}" if fields.get("ErrorCode") else ""
            )
            return [Event(kind="status", provider_id=sid, status=status, error=error, at=now)] if status else []
        sender = fields.get("From", "")
        if not sender:
            raise Refused(_("From is missing."), status=400)
        media = []
        try:
            count = min(int(fields.get("NumMedia") or 0), 10)
        except ValueError:
            count = 0
        for i in range(count):
            if fields.get(f"MediaUrl{i}"):
                media.append(Media(ref=fields[f"MediaUrl{i}"], content_type=fields.get(f"MediaContentType{i}", "")))
        return [
            Event(
                kind="message",
                provider_id=sid,
                address=sender,
                phone=sender,  # made E.164 when filed (libphonenumber is too slow for the webhook)
                text=fields.get("Body", ""),
                media=media,
                name=fields.get("ProfileName", ""),
                at=now,
            )
        ]

    def ack(self) -> HttpResponse:
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")

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
        sid = channel.secret("account_sid")
        data = {"From": channel.address, "To": to, "Body": text}
        if file is not None:
            # Twilio fetches the file itself (MMS), from the signed address that expires.
            data["MediaUrl"] = file.url
        if callback:
            data["StatusCallback"] = callback
        response = self.call(
            "POST",
            f"{self.base()}/2010-04-01/Accounts/{sid}/Messages.json",
            data=data,
            auth=(sid, channel.secret("auth_token")),
        )
        if response.status_code not in (200, 201):
            raise Permanent(api_error(response))
        return str(response.json().get("sid", ""))

    def fetch_media(self, channel: Any, media: Media) -> tuple[bytes, str]:
        auth = (channel.secret("account_sid"), channel.secret("auth_token"))
        return self.download(media.ref, auth=auth)
