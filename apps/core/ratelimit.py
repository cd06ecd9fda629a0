"""Rate limits.

- `check_rate`: fixed windows in Redis, for rare and costly things (sign-ups, token requests).
- `check_api_rate`: API requests per tenant and per user, shared by every web process: one Redis
  round trip (a Lua script) per request. Wired as a DRF throttle (`ApiRateThrottle`).
- `FrameLimiter`: WebSocket frames per tenant and per user, in each web process's memory: no I/O
  on the chat hot path (a frame costs a few dictionary operations). A tenant's sockets spread over
  N web processes can therefore send up to N times the per-process rate.

Both limits are GCRA (the "generic cell rate algorithm", a token bucket kept as one timestamp per
key): `rate` per second sustained, and up to `rate * RATE_LIMIT_BURST_SECONDS` at once after a
quiet spell. A refusal says when the next one will be accepted (`retry_after`, whole seconds,
rounded up), and refused attempts cost nothing from the bucket. Keys start with the schema name."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from .errors import RateLimited
from .keys import redis_key
from .redis import get_redis


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def check_rate(schema_name: str, bucket: str, ident: str, limit: int, window_seconds: int) -> None:
    """Count one hit; raise RateLimited when `ident` has used up `limit` hits in the window."""
    safe_ident = "".join(c if c.isalnum() else "-" for c in ident)[:80] or "unknown"
    key = redis_key(schema_name, "rate", bucket, safe_ident)
    pipe = get_redis().pipeline()
    pipe.set(key, 0, ex=window_seconds, nx=True)  # opens the window (Redis 6.2 has no EXPIRE NX)
    pipe.incr(key)
    pipe.pttl(key)
    _opened, count, ttl_ms = pipe.execute()
    if int(count) > limit:
        raise RateLimited(
            _("Too many attempts. Please try again later."),
            retry_after=_retry_after((int(ttl_ms) if int(ttl_ms) > 0 else window_seconds * 1000) / 1000),
        )


async def acheck_rate(schema_name: str, bucket: str, ident: str, limit: int, window_seconds: int) -> None:
    """`check_rate` for code on the event loop (one round trip on the loop's asyncio client)."""
    from .redis import get_async_redis

    safe_ident = "".join(c if c.isalnum() else "-" for c in ident)[:80] or "unknown"
    key = redis_key(schema_name, "rate", bucket, safe_ident)
    pipe = get_async_redis().pipeline()
    pipe.set(key, 0, ex=window_seconds, nx=True)
    pipe.incr(key)
    pipe.pttl(key)
    _opened, count, ttl_ms = await pipe.execute()
    if int(count) > limit:
        raise RateLimited(
            _("Too many attempts. Please try again later."),
            retry_after=_retry_after((int(ttl_ms) if int(ttl_ms) > 0 else window_seconds * 1000) / 1000),
        )


@dataclass(frozen=True)
class Rate:
    """`per_second` sustained, `burst` at once. A rate of 0 means no limit."""

    per_second: float
    burst: int

    @classmethod
    def of(cls, per_second: float) -> Rate:
        return _rate(per_second, settings.RATE_LIMIT_BURST_SECONDS)

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def tolerance(self) -> float:
        return self.interval * (self.burst - 1)


@lru_cache(maxsize=64)
def _rate(per_second: float, burst_seconds: float) -> Rate:
    return Rate(per_second, max(1, math.floor(per_second * burst_seconds)))


# KEYS: the buckets. ARGV: now (ms), then per bucket its interval and tolerance (ms). Either every
# bucket takes the request or none does; the answer is 0 or the milliseconds to wait.
_GCRA = """
local now = tonumber(ARGV[1])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 2])
  local tolerance = tonumber(ARGV[i * 2 + 1])
  local tat = tonumber(redis.call('GET', key))
  if not tat or tat < now then tat = now end
  local w = tat - now - tolerance
  if w > wait then wait = w end
  tats[i] = tat + interval
end
if wait > 0 then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%.3f', tats[i]), 'PX', math.ceil(tats[i] - now) + 1000)
end
return 0
"""
_script: Any = None


def _gcra(buckets: list[tuple[str, Rate]]) -> float:
    """Take one request from every bucket, or from none: 0, or the seconds to wait."""
    global _script
    if _script is None:
        _script = get_redis().register_script(_GCRA)
    args: list[float] = [time.time() * 1000]
    for _key, rate in buckets:
        args += [rate.interval * 1000, rate.tolerance * 1000]
    wait_ms = int(_script(keys=[key for key, _rate in buckets], args=args))
    return wait_ms / 1000


def check_api_rate(schema_name: str, user_ident: str) -> None:
    """One API request of `user_ident` in the tenant; RateLimited when the tenant or the user is over
    its rate (API_RATE_LIMIT_TENANT, API_RATE_LIMIT_USER, per second, every web process together)."""
    buckets = []
    if settings.API_RATE_LIMIT_TENANT > 0:
        buckets.append((redis_key(schema_name, "rate", "api"), Rate.of(settings.API_RATE_LIMIT_TENANT)))
    if settings.API_RATE_LIMIT_USER > 0:
        buckets.append((redis_key(schema_name, "rate", "api", user_ident), Rate.of(settings.API_RATE_LIMIT_USER)))
    if not buckets:
        return
    wait = _gcra(buckets)
    if wait > 0:
        raise RateLimited(
            _("Too many requests. Please retry in a moment."),
            retry_after=_retry_after(wait),
        )


class ApiRateThrottle(BaseThrottle):
    """DRF throttle (runs after authentication) for every API view of a tenant. The public schema's
    few endpoints (sign-up, Stripe) have limits of their own."""

    def allow_request(self, request: Any, view: Any) -> bool:
        tenant = getattr(request, "tenant", None)
        schema_name = getattr(tenant, "schema_name", "public")
        if schema_name == "public":
            return True
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            ident = f"u{user.pk}"
        else:
            address = request.META.get("REMOTE_ADDR", "") or "unknown"
            ident = "a" + "".join(c if c.isalnum() else "-" for c in address)[:60]
        check_api_rate(schema_name, ident)  # raises RateLimited: the API answers 429 + Retry-After
        return True


class FrameLimiter:
    """GCRA buckets in this process's memory, per tenant and per user, for WebSocket frames. Used from
    the event loop only (no locking). Buckets that have refilled completely are forgotten."""

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._sweep_at = 10_000

    def wait(self, schema_name: str, user_ident: str) -> float:
        """Take one frame, or say how many seconds until one is accepted."""
        tenant_rate, user_rate = settings.WS_FRAME_RATE_LIMIT_TENANT, settings.WS_FRAME_RATE_LIMIT_USER
        if tenant_rate <= 0 and user_rate <= 0:
            return 0.0
        now = time.monotonic()
        buckets = []
        if tenant_rate > 0:
            buckets.append((schema_name, Rate.of(tenant_rate)))
        if user_rate > 0:
            buckets.append((f"{schema_name}:{user_ident}", Rate.of(user_rate)))
        wait = 0.0
        for key, rate in buckets:
            tat = max(self._tats.get(key, now), now)
            wait = max(wait, tat - now - rate.tolerance)
        if wait > 0:
            return wait
        for key, rate in buckets:
            self._tats[key] = max(self._tats.get(key, now), now) + rate.interval
        if len(self._tats) > self._sweep_at:
            self._tats = {key: tat for key, tat in self._tats.items() if tat > now}
            self._sweep_at = max(10_000, 2 * len(self._tats))
        return 0.0


frame_limiter = FrameLimiter()


def frame_rate_limited_error(wait: float) -> dict[str, Any]:
    """The error frame for a refused frame (the socket stays open)."""
    return {
        "type": "error",
        "code": "rate_limited",
        "message": _("Too many messages. Please slow down."),
        "retry_after": _retry_after(wait),
    }
