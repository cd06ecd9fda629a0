"""Fixed-window rate limits in Redis."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .errors import RateLimited
from .keys import redis_key
from .redis import get_redis


def check_rate(schema_name: str, bucket: str, ident: str, limit: int, window_seconds: int) -> None:
    """Count one hit; raise RateLimited when `ident` has used up `limit` hits in the window."""
    safe_ident = "".join(c if c.isalnum() else "-" for c in ident)[:80] or "unknown"
    key = redis_key(schema_name, "rate", bucket, safe_ident)
    pipe = get_redis().pipeline()
    pipe.set(key, 0, ex=window_seconds, nx=True)  # opens the window (Redis 6.2 has no EXPIRE NX)
    pipe.incr(key)
    _opened, count = pipe.execute()
    if int(count) > limit:
        raise RateLimited(_("Too many attempts. Please try again later."))
