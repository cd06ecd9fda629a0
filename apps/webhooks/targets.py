"""Where a webhook may be sent. https only (plain http when WEBHOOKS_ALLOW_HTTP is on, for development
and tests), no user name or password in the address, and never to an address that is not on the
public internet (loopback, private, link-local, carrier-grade NAT, multicast, reserved) unless
WEBHOOKS_ALLOW_PRIVATE is on: otherwise a tenant could make our servers call our own internal
services (SSRF). The name is resolved when the subscription is saved and again before every attempt,
and the request goes to the address checked then (no second lookup that could answer otherwise)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_URL = 2000


class TargetRefused(Exception):
    """The address may not be used; the message says why (shown to the person who typed it)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (the Host header and TLS server name)
    port: int
    path: str  # with its query
    ip: str  # the checked address the request goes to


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: object) -> str:
    """The address, stripped, when its form is acceptable (no lookup); else TargetRefused."""
    if not isinstance(url, str) or not url.strip():
        raise TargetRefused(_("Enter the address to send events to."))
    url = url.strip()
    if len(url) > MAX_URL:
        raise TargetRefused(_("The address is longer than %(n)d characters.") % {"n": MAX_URL})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise TargetRefused(_("This is not a web address.")) from exc
    allowed = ["https", "http"] if settings.WEBHOOKS_ALLOW_HTTP else ["https"]
    if parts.scheme not in allowed:
        raise TargetRefused(_("The address must start with https://."))
    if not parts.hostname:
        raise TargetRefused(_("The address has no host name."))
    if parts.username or parts.password:
        raise TargetRefused(_("Put no user name or password in the address; check the signature instead."))
    if parts.fragment:
        raise TargetRefused(_("The address may not contain a # part."))
    return url


def resolve(url: str) -> Target:
    """The address checked and resolved (the first public address of its name); TargetRefused when its
    form is wrong, the name is unknown, or it leads somewhere private that is not allowed."""
    url = check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(_("The host name %(host)s was not found.") % {"host": host}) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        # Every address the name gives must be public: a name with one public and one private address
        # would otherwise reach the private one some of the time.
        if not addresses or not all(_public(a) for a in addresses):
            raise TargetRefused(_("This address leads to a private or local network; use a public address."))
    if not addresses:
        raise TargetRefused(_("The host name %(host)s was not found.") % {"host": host})
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, ip=str(addresses[0]))
