"""Call ownership in Redis. A call belongs to the one media worker holding its lease
`<schema>:media:call:<call_id>` (SET NX with expiry, renewed while the worker lives). The lease holds
the worker's own channel, so call messages can be routed to the owner. A registry sorted set (score:
when the lease runs out) lets any live worker find calls whose owner died."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from apps.core.keys import redis_key
from apps.core.redis import get_redis

from .config import lease_seconds

# Cross-tenant bookkeeping of the media workers lives in the public namespace, like their heartbeats.
REGISTRY_KEY = redis_key("public", "media", "calls")

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Lease:
    schema: str
    call_id: str
    worker: str
    channel: str
    raw: str

    @property
    def member(self) -> str:
        return registry_member(self.schema, self.call_id)


def call_key(schema: str, call_id: str) -> str:
    return redis_key(schema, "media", "call", call_id)


def registry_member(schema: str, call_id: str) -> str:
    return f"{schema}:{call_id}"


def claim(schema: str, call_id: str, worker: str, channel: str) -> Lease | None:
    """Take the call if nobody holds it. None when another worker (or this one) already does."""
    raw = json.dumps({"worker": worker, "channel": channel, "since": time.time()})
    ttl_ms = int(lease_seconds() * 1000)
    r = get_redis()
    if not r.set(call_key(schema, call_id), raw, nx=True, px=ttl_ms):
        return None
    r.zadd(REGISTRY_KEY, {registry_member(schema, call_id): time.time() + lease_seconds()})
    return Lease(schema, call_id, worker, channel, raw)


def read(schema: str, call_id: str) -> Lease | None:
    raw = get_redis().get(call_key(schema, call_id))
    if not raw:
        return None
    data: dict[str, Any] = json.loads(raw)
    return Lease(schema, call_id, str(data["worker"]), str(data["channel"]), str(raw))


def renew(leases: list[Lease]) -> list[Lease]:
    """Extend every lease still ours; return the ones that were lost (expired or taken)."""
    if not leases:
        return []
    r = get_redis()
    ttl_ms = int(lease_seconds() * 1000)
    pipe = r.pipeline(transaction=False)
    for lease in leases:
        pipe.eval(_RENEW, 1, call_key(lease.schema, lease.call_id), lease.raw, ttl_ms)
    results = pipe.execute()
    kept = {lease.member: time.time() + lease_seconds() for lease, ok in zip(leases, results, strict=True) if ok}
    if kept:
        r.zadd(REGISTRY_KEY, kept)  # type: ignore[arg-type]
    return [lease for lease, ok in zip(leases, results, strict=True) if not ok]


def release(lease: Lease) -> None:
    r = get_redis()
    r.eval(_RELEASE, 1, call_key(lease.schema, lease.call_id), lease.raw)
    r.zrem(REGISTRY_KEY, lease.member)


def take_orphans() -> list[tuple[str, str]]:
    """Calls whose lease ran out without a release: their worker died. Each orphan is handed to
    exactly one caller (ZREM decides), who must announce it."""
    r = get_redis()
    due = r.zrangebyscore(REGISTRY_KEY, 0, time.time())
    orphans = []
    for member in due:
        schema, _, call_id = str(member).partition(":")
        if r.exists(call_key(schema, call_id)):
            continue  # renewed in the meantime
        if r.zrem(REGISTRY_KEY, str(member)):
            orphans.append((schema, call_id))
    return orphans
