"""The signature of a delivery: `X-CCaaS-Signature: t=<unix time>,v1=<hex>` where the hex is
HMAC-SHA256 with the subscription's secret over `<unix time>.<body>` (docs/webhooks.md shows a
receiver's check). The time in the signed text lets a receiver refuse an old delivery replayed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from apps.core import sealing

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def seal(plain: str) -> str:
    """The secret as stored (apps.core.sealing: Fernet, with a key derived from SECRET_KEY)."""
    return sealing.seal(plain, "webhooks")


def unseal(sealed: str) -> str:
    """The secret, or "" when it cannot be read (SECRET_KEY changed: the owner makes a new one)."""
    return sealing.unseal(sealed, "webhooks")


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body` sent now (or at `timestamp`)."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def verify(
    secret: str, body: bytes, header: str, *, tolerance: int = TOLERANCE_SECONDS, now: float | None = None
) -> bool:
    """What a receiver does: the header's v1 matches and its time is recent."""
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        ts = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for v in fields.get("v1", []))
