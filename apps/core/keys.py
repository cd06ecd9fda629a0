"""Names in the shared channel layer and Redis. Every one starts with the tenant's schema name, so
no event or key of one tenant can be addressed from another."""

from __future__ import annotations

import re

_PART = re.compile(r"^[A-Za-z0-9_\-]+$")


def _check(parts: tuple[object, ...]) -> list[str]:
    out = []
    for part in parts:
        text = str(part)
        if not _PART.match(text):
            raise ValueError(f"Bad name part {text!r}")
        out.append(text)
    return out


def group_name(schema_name: str, *parts: object) -> str:
    """Channel-layer group `<schema>.<part>.<part>` (channels allows [A-Za-z0-9_.-], < 100 chars)."""
    name = ".".join([*_check((schema_name,)), *_check(parts)])
    if len(name) >= 100:
        raise ValueError(f"Group name too long: {name}")
    return name


def redis_key(schema_name: str, *parts: object) -> str:
    """Redis key `<schema>:<part>:<part>`."""
    return ":".join([*_check((schema_name,)), *_check(parts)])
