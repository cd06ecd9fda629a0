"""Which client sent a request, when a reverse proxy stands in front (ASGI middleware, HTTP and
WebSocket). daphne's own `--proxy-headers` believes X-Forwarded-For from anyone, so a client could
name any address and reset every rate limit keyed on it. Here the forwarded headers count only when
the connection comes from a proxy listed in TRUSTED_PROXIES; from anyone else they are removed."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_FORWARDED = {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-port", b"forwarded"}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> list[Network]:
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {item!r} is not an address or network") from exc
    return networks


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


class TrustedProxyMiddleware:
    def __init__(self, app: Any, trusted: Iterable[str] | None = None) -> None:
        self.app = app
        self._trusted_setting = trusted

    @cached_property
    def networks(self) -> list[Network]:
        items = self._trusted_setting if self._trusted_setting is not None else settings.TRUSTED_PROXIES
        return parse_networks(items)

    def trusted(self, address: Any) -> bool:
        ip = _ip(address) if isinstance(address, str) else None
        return ip is not None and any(ip in net for net in self.networks)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in ("http", "websocket"):
            scope = self.resolve(scope)
        return await self.app(scope, receive, send)

    def resolve(self, scope: dict[str, Any]) -> dict[str, Any]:
        client = scope.get("client")
        headers = list(scope.get("headers") or [])
        if not client or not self.trusted(client[0]):
            kept = [(k, v) for k, v in headers if k.lower() not in _FORWARDED]
            return {**scope, "headers": kept} if len(kept) != len(headers) else scope
        values: dict[bytes, str] = {}
        for key, value in headers:
            name = key.lower()
            if name in (b"x-forwarded-for", b"x-forwarded-proto"):
                joined = values.get(name)
                text = value.decode("latin-1")
                values[name] = f"{joined},{text}" if joined else text
        scope = dict(scope)
        hops = [h.strip() for h in values.get(b"x-forwarded-for", "").split(",") if h.strip()]
        # The rightmost address a trusted proxy did not add is the client: anything further left was
        # written by the client itself and proves nothing.
        address = client[0]
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                break
            address = str(ip)
            if not self.trusted(address):
                break
        scope["client"] = (address, 0 if address != client[0] else client[1])
        proto = values.get(b"x-forwarded-proto", "").split(",")[-1].strip().lower()
        if proto in ("http", "https"):
            secure = proto == "https"
            scope["scheme"] = ("wss" if secure else "ws") if scope["type"] == "websocket" else proto
        return scope
