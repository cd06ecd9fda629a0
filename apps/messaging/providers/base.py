"""What every provider adapter does: answer the provider's handshake, check that a delivery is the
provider's (its signature), turn it into provider-neutral events, send a message, fetch a file.

The adapters are pure translation plus HTTP: no rows are read or written here. Calls to a provider's
API go to its real host, or to `settings.MESSAGING_API_BASE` when that is set (the tests' fake
provider, a local mock in development). An error never carries the URL it called: WeChat and Telegram
put credentials in it."""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from ..models import MessagingChannel

TIMEOUT = (5, 15)  # connect, read (seconds)
MAX_MEDIA_BYTES = 16 * 1024 * 1024


class Refused(Exception):
    """The delivery is not the provider's (signature, token) or not for this channel: 403 / 400."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Transient(Exception):
    """The provider could not take it now (network, 5xx, rate limit): try again later."""


class Permanent(Exception):
    """The provider refused the message for good (blocked, invalid number, outside the window)."""


@dataclass
class Media:
    ref: str  # a URL or the provider's media id
    content_type: str = ""
    name: str = ""


@dataclass(frozen=True)
class OutFile:
    """A file an agent sends: its bytes (uploaded to the providers that take uploads) and a signed
    address on the tenant's host that expires (for Twilio, which fetches the file itself)."""

    name: str
    content_type: str
    data: bytes
    url: str = ""

    @property
    def kind(self) -> str:
        """image, video, audio or document."""
        major = self.content_type.split("/", 1)[0]
        return major if major in ("image", "video", "audio") else "document"


@dataclass
class Event:
    """A message from the customer, or a delivery status of one of ours."""

    kind: str  # "message" | "status"
    provider_id: str
    address: str = ""  # the customer on this channel
    name: str = ""
    phone: str = ""  # the customer's phone number as the provider wrote it, where the channel is a phone number
    text: str = ""
    media: list[Media] = field(default_factory=list)
    status: str = ""  # sent | delivered | read | failed
    error: str = ""
    at: str = ""  # ISO time the provider gives

    def key(self) -> str:
        """What makes a delivery once: a message's id; a status's id with the status ("delivered" and
        then "read" of one message are two)."""
        return (self.provider_id if self.kind == "message" else f"{self.status}:{self.provider_id}")[:200]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        media = [Media(**m) for m in data.get("media") or []]
        return cls(**{**data, "media": media})


@dataclass(frozen=True)
class SecretField:
    name: str
    label: Any
    required: bool = True


def iso(seconds: Any) -> str:
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Adapter:
    provider: ClassVar[str]
    default_base: ClassVar[str]
    address_label: ClassVar[Any] = gettext_lazy("Address")
    secret_fields: ClassVar[tuple[SecretField, ...]] = ()
    # Media URLs (given in deliveries) are fetched only from these hosts, or from the configured base.
    media_hosts: ClassVar[tuple[str, ...]] = ()

    def base(self) -> str:
        return (getattr(settings, "MESSAGING_API_BASE", "") or self.default_base).rstrip("/")

    # --- receiving --------------------------------------------------------------------------------
    def handshake(self, channel: MessagingChannel, request: HttpRequest) -> HttpResponse | None:
        """The provider's GET to prove the URL is ours (None: this provider has none)."""
        return None

    def verify(self, channel: MessagingChannel, request: HttpRequest, body: bytes) -> None:
        raise NotImplementedError

    def parse(self, channel: MessagingChannel, request: HttpRequest, body: bytes) -> list[Event]:
        raise NotImplementedError

    def ack(self) -> HttpResponse:
        return HttpResponse(status=200)

    # --- sending ----------------------------------------------------------------------------------
    def send(
        self,
        channel: MessagingChannel,
        to: str,
        text: str,
        *,
        template: dict[str, Any] | None = None,
        callback: str = "",
        file: OutFile | None = None,
    ) -> str:
        """Send; the provider's id of the message. Raises Transient or Permanent. `callback`: where the
        provider reports delivery, for those that take one; `file`: sent with `text` as its caption (or
        the text first, where the provider takes no caption)."""
        raise NotImplementedError

    def fetch_media(self, channel: MessagingChannel, media: Media) -> tuple[bytes, str]:
        raise NotImplementedError

    # --- HTTP -------------------------------------------------------------------------------------
    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One API call; Transient on network trouble, 429 and 5xx (never the URL in the message)."""
        try:
            response = requests.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise Transient(
                _("%(provider)s could not be reached (%(error)s).")
                % {"provider": self.provider, "error": type(exc).__name__}
            ) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise Transient(
                _("%(provider)s answered %(status)s; trying again.")
                % {"provider": self.provider, "status": response.status_code}
            )
        return response

    def download(self, url: str, **kwargs: Any) -> tuple[bytes, str]:
        host = urlsplit(url).hostname or ""
        allowed = url.startswith(self.base() + "/") or any(
            host == h or host.endswith("." + h) for h in self.media_hosts
        )
        if not allowed or urlsplit(url).scheme not in ("https", "http"):
            raise Permanent(_("A file at an address that is not the provider's was not fetched."))
        response = self.call("GET", url, stream=True, **kwargs)
        if response.status_code != 200:
            raise Permanent(_("The file could not be fetched (%(status)s).") % {"status": response.status_code})
        data = bytearray()
        for chunk in response.iter_content(64 * 1024):
            data.extend(chunk)
            if len(data) > MAX_MEDIA_BYTES:
                raise Permanent(
                    _("The file is larger than %(mb)s MB and was not kept.") % {"mb": MAX_MEDIA_BYTES // (1024 * 1024)}
                )
        return bytes(data), response.headers.get("Content-Type", "application/octet-stream").split(";")[0]


def json_body(body: bytes) -> Any:
    import json

    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(_("The body is not JSON."), status=400) from None


def api_error(response: requests.Response) -> str:
    """The provider's own words for a refusal, short."""
    try:
        data = response.json()
    except ValueError:
        return f"{response.status_code}"
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or response.status_code)[:300]
        for key in ("message", "description", "errmsg"):
            if data.get(key):
                return str(data[key])[:300]
    return f"{response.status_code}"
