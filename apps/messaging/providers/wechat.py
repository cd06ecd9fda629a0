"""WeChat Official Account (plaintext mode). A delivery is WeChat's when `signature` is the SHA-1 of the
sorted token, `timestamp` and `nonce`; the same proves the URL in the GET handshake (echo `echostr`).
WeChat waits 5 seconds for an answer and then tries again, three times in all: `MsgId` makes the
retries one message. Answers go through the customer-service message API within 48 hours of the
customer's last message, with an access token fetched by app id and secret and kept until it expires."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from defusedxml import ElementTree
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Adapter, Event, Media, OutFile, Permanent, Refused, SecretField, Transient, iso, same

MAX_SKEW_SECONDS = 300
_TOKEN_EXPIRED = {40001, 40014, 42001}


def signature(token: str, timestamp: str, nonce: str) -> str:
    joined = "".join(sorted([token, timestamp, nonce])).encode()
    return hashlib.sha1(joined).hexdigest()  # noqa: S324 (WeChat's protocol signs with SHA-1)


class WeChat(Adapter):
    provider = "wechat"
    default_base = "https://api.weixin.qq.com"
    address_label = gettext_lazy("AppID")
    secret_fields = (
        SecretField("app_secret", gettext_lazy("AppSecret")),
        SecretField("token", gettext_lazy("Token (as entered in WeChat's server settings)")),
    )
    media_hosts = ("qpic.cn", "weixin.qq.com")

    def _check(self, channel: Any, request: HttpRequest) -> None:
        stamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
        expected = signature(channel.secret("token"), stamp, nonce)
        if not same(request.GET.get("signature", ""), expected):
            raise Refused(_("The WeChat signature does not match."))
        try:
            skew = abs(time.time() - int(stamp))
        except ValueError:
            raise Refused(_("The timestamp is not a number."), status=400) from None
        if skew > MAX_SKEW_SECONDS:
            raise Refused(_("The timestamp is too old (or in the future): a replay is refused."))

    def handshake(self, channel: Any, request: HttpRequest) -> HttpResponse | None:
        try:
            self._check(channel, request)
        except Refused as exc:
            return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")

    def verify(self, channel: Any, request: HttpRequest, body: bytes) -> None:
        self._check(channel, request)

    def parse(self, channel: Any, request: HttpRequest, body: bytes) -> list[Event]:
        try:
            root = ElementTree.fromstring(body)
        except Exception:  # defusedxml's refusals and XML syntax errors alike
            raise Refused(_("The body is not WeChat's XML."), status=400) from None
        fields = {child.tag: (child.text or "") for child in root}
        kind = fields.get("MsgType", "")
        if kind == "event":
            return []  # subscribe, menu clicks: nothing for the inbox
        if not fields.get("MsgId") or not fields.get("FromUserName"):
            raise Refused(_("MsgId or FromUserName is missing."), status=400)
        text, media = "", []
        if kind == "text":
            text = fields.get("Content", "")
        elif kind == "image":
            media.append(Media(ref=fields.get("MediaId", ""), content_type="image/jpeg", name="image.jpg"))
        elif kind in ("voice", "video", "shortvideo"):
            media.append(Media(ref=fields.get("MediaId", ""), content_type="", name=kind))
        elif kind == "location":
            text = f"{fields.get('Label', '')} ({fields.get('Location_X', '')}, {fields.get('Location_Y', '')})"
        elif kind == "link":
            text = f"{fields.get('Title', '')} {fields.get('Url', '')}".strip()
        else:
            text = _("(a %(kind)s message this inbox cannot show)") % {"kind": kind or "?"}
        return [
            Event(
                kind="message",
                provider_id=fields["MsgId"],
                address=fields["FromUserName"],
                text=text,
                media=media,
                at=iso(fields.get("CreateTime")),
            )
        ]

    def ack(self) -> HttpResponse:
        return HttpResponse("success", content_type="text/plain")

    def _token(self, channel: Any, *, fresh: bool = False) -> str:
        key = f"messaging:wechat-token:{channel.key}"
        token = None if fresh else cache.get(key)
        if token:
            return str(token)
        response = self.call(
            "GET",
            f"{self.base()}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": channel.address,
                "secret": channel.secret("app_secret"),
            },
        )
        data = response.json() if response.status_code == 200 else {}
        if not data.get("access_token"):
            raise Permanent(
                _("WeChat gave no access token: %(why)s") % {"why": data.get("errmsg", response.status_code)}
            )
        cache.set(key, data["access_token"], max(60, int(data.get("expires_in", 7200)) - 300))
        return str(data["access_token"])

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
            return self._custom_send(channel, {"touser": to, "msgtype": "text", "text": {"content": text}})
        if file.kind not in ("image", "audio"):
            raise Permanent(_("WeChat takes images and voice messages only; send a link to the file instead."))
        # Uploaded as temporary media (kept three days by WeChat), then sent by its media id; the text
        # goes first, WeChat takes no caption.
        kind = "image" if file.kind == "image" else "voice"
        if text.strip():
            self._custom_send(channel, {"touser": to, "msgtype": "text", "text": {"content": text}})
        response = self.call(
            "POST",
            f"{self.base()}/cgi-bin/media/upload",
            params={"access_token": self._token(channel), "type": kind},
            files={"media": (file.name, file.data, file.content_type)},
        )
        media_id = str(response.json().get("media_id", "")) if response.status_code == 200 else ""
        if not media_id:
            raise Permanent(_("WeChat did not take the file (%(status)s).") % {"status": response.status_code})
        return self._custom_send(channel, {"touser": to, "msgtype": kind, kind: {"media_id": media_id}})

    def _custom_send(self, channel: Any, payload: dict[str, Any]) -> str:
        for fresh in (False, True):
            response = self.call(
                "POST",
                f"{self.base()}/cgi-bin/message/custom/send",
                params={"access_token": self._token(channel, fresh=fresh)},
                json=payload,
            )
            data = response.json() if response.status_code == 200 else {"errcode": response.status_code}
            code = int(data.get("errcode", 0) or 0)
            if code == 0:
                return ""  # the customer-service API gives no message id
            if code not in _TOKEN_EXPIRED:
                break
        if code == -1:
            raise Transient(_("WeChat is busy; trying again."))
        if code == 45015:
            raise Permanent(_("More than 48 hours since the customer's last message: WeChat does not deliver it."))
        raise Permanent(_("WeChat refused it: %(why)s (%(code)s)") % {"why": data.get("errmsg", ""), "code": code})

    def fetch_media(self, channel: Any, media: Media) -> tuple[bytes, str]:
        response = self.call(
            "GET",
            f"{self.base()}/cgi-bin/media/get",
            params={"access_token": self._token(channel), "media_id": media.ref},
        )
        if response.status_code != 200 or response.headers.get("Content-Type", "").startswith(
            ("application/json", "text/")
        ):
            raise Permanent(_("WeChat did not give the file."))
        return response.content, response.headers.get("Content-Type", "application/octet-stream")
