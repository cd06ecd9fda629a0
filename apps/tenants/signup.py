from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from apps.core.ratelimit import check_rate


def client_address(request: HttpRequest) -> str:
    # The connecting peer, or the client a trusted proxy named (apps.core.proxy, TRUSTED_PROXIES).
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def throttle_signup(address: str) -> None:
    check_rate("public", "signup", address, settings.SIGNUP_RATE_LIMIT_PER_HOUR, 3600)
