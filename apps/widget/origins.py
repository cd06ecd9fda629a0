"""Allowed widget origins: what a business types ("https://shop.example.com/", "shop.example.com",
"http://127.0.0.1:9100/") stored as the browser sends it in `Origin` and as CSP `frame-ancestors`
needs it: scheme://host[:port], lower case, no path, no default port. Anything else is refused with
a message that says what is wrong, so a widget never fails to connect without a word."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed

MAX_ORIGINS = 50
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginInvalid(ValueError):
    pass


def normalise_origin(value: str) -> str:
    """One origin, normalised; raises OriginInvalid with the reason."""
    text = value.strip()
    if not text:
        raise OriginInvalid(_("An address is empty."))
    if any(c.isspace() for c in text):
        raise OriginInvalid(_("“%(v)s” has spaces: enter an address like https://shop.example.com.") % {"v": text})
    if "://" not in text:
        text = "https://" + text  # a bare host name: the site is served over HTTPS
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise OriginInvalid(_("“%(v)s” must start with https:// or http://.") % {"v": value.strip()})
    if parts.username or parts.password:
        raise OriginInvalid(_("“%(v)s” must not contain a user name or password.") % {"v": value.strip()})
    try:
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        raise OriginInvalid(
            _("“%(v)s” has a port that is not a number from 1 to 65535.") % {"v": value.strip()}
        ) from None
    if not host:
        raise OriginInvalid(_("“%(v)s” has no host name.") % {"v": value.strip()})
    host = _host(host, value.strip())
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _host(host: str, shown: str) -> str:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise OriginInvalid(_("“%(v)s” is not a valid host name.") % {"v": shown}) from None
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise OriginInvalid(_("“%(v)s” is not a valid host name.") % {"v": shown})
    if len(labels) == 1 and host != "localhost":
        raise OriginInvalid(_("“%(v)s” is not a full host name (for example shop.example.com).") % {"v": shown})
    return host


def check_allowed_origins(values: Any) -> list[str]:
    """A list of origins, normalised and without duplicates; raises ValidationFailed with every
    problem under `allowed_origins`."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationFailed(
            _("Allowed origins must be a list of addresses."), fields={"allowed_origins": [_("A list of text.")]}
        )
    if len(values) > MAX_ORIGINS:
        raise ValidationFailed(
            _("At most %(n)d addresses.") % {"n": MAX_ORIGINS},
            fields={"allowed_origins": [_("At most %(n)d addresses.") % {"n": MAX_ORIGINS}]},
        )
    out: list[str] = []
    errors: list[str] = []
    for value in values:
        try:
            origin = normalise_origin(value)
        except OriginInvalid as exc:
            errors.append(str(exc))
            continue
        if origin not in out:
            out.append(origin)
    if errors:
        raise ValidationFailed(_("Some addresses are not valid."), fields={"allowed_origins": errors})
    return out
