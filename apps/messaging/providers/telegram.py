"""Telegram bots. A delivery is Telegram's when `X-Telegram-Bot-Api-Secret-Token` is the secret token we
gave `setWebhook`; the bot token itself is never in our URLs, and the API URLs that carry it are never
written to a log or an error."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Adapter, Event, Media, OutFile, Permanent, Refused, SecretField, api_error, iso, json_body, same


class Telegram(Adapter):
    provider = "telegram"
    default_base = "https://api.telegram.org"
    address_label = gettext_lazy("Bot user name")
    secret_fields = (
        SecretField("bot_token", gettext_lazy("Bot token")),
        SecretField("secret_token", gettext_lazy("Webhook secret token")),
    )

    def verify(self, channel: Any, request: HttpRequest, body: bytes) -> None:
        if not same(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), channel.secret("secret_token")):
            raise Refused(_("The secret token does not match."))

    def parse(self, channel: Any, request: HttpRequest, body: bytes) -> list[Event]:
        data = json_body(body)
        if not isinstance(data, dict) or "update_id" not in data:
            raise Refused(_("Not a Telegram update."), status=400)
        message = data.get("message")
        if not isinstance(message, dict):
            return []  # edits, callbacks, joins: nothing for the inbox
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if not chat.get("id") or not message.get("message_id"):
            raise Refused(_("A message without chat or id."), status=400)
        name = " ".join(str(sender.get(k, "")) for k in ("first_name", "last_name") if sender.get(k)).strip()
        media = []
        photos = [p for p in message.get("photo") or [] if isinstance(p, dict) and p.get("file_id")]
        if photos:
            media.append(Media(ref=str(photos[-1]["file_id"]), content_type="image/jpeg", name="photo.jpg"))
        document = message.get("document")
        if isinstance(document, dict) and document.get("file_id"):
            media.append(
                Media(
                    ref=str(document["file_id"]),
                    content_type=str(document.get("mime_type", "")),
                    name=str(document.get("file_name", "")),
                )
            )
        return [
            Event(
                kind="message",
                provider_id=f"{chat['id']}:{message['message_id']}",
                address=str(chat["id"]),
                name=name or str(sender.get("username", "")),
                text=str(message.get("text") or message.get("caption") or ""),
                media=media,
                at=iso(message.get("date")),
            )
        ]

    def _bot(self, channel: Any) -> str:
        return f"{self.base()}/bot{channel.secret('bot_token')}"

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
        if file is None:
            response = self.call("POST", f"{self._bot(channel)}/sendMessage", json={"chat_id": to, "text": text})
        else:
            # Photos are shown inline (sendPhoto); anything else is a document the customer downloads.
            method, field = ("sendPhoto", "photo") if file.kind == "image" else ("sendDocument", "document")
            fields = {"chat_id": to, "caption": text[:1024]} if text else {"chat_id": to}
            response = self.call(
                "POST",
                f"{self._bot(channel)}/{method}",
                data=fields,
                files={field: (file.name, file.data, file.content_type)},
            )
        data = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        if response.status_code != 200 or not data.get("ok"):
            raise Permanent(api_error(response))
        return f"{to}:{(data.get('result') or {}).get('message_id', '')}"

    def fetch_media(self, channel: Any, media: Media) -> tuple[bytes, str]:
        response = self.call("GET", f"{self._bot(channel)}/getFile", params={"file_id": media.ref})
        path = ((response.json() or {}).get("result") or {}).get("file_path") if response.status_code == 200 else None
        if not path:
            raise Permanent(_("Telegram did not give the file."))
        token = channel.secret("bot_token")
        data, kind = self.download(f"{self.base()}/file/bot{token}/{path}")
        return data, media.content_type or kind
