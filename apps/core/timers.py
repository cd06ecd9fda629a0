"""Timers: offer timeouts, step widening, maximum wait (routing), end of wrap-up (agents).

Each app registers the handler of its own kinds in its AppConfig.ready (`register_timer`), so a
lower app (agents) arms a timer without importing a higher one (routing).

They wait in one platform-wide Redis sorted set, `public:routing:timers`, scored by the Unix time they
are due, with members `<schema>|<kind>|<id>`. Setting one is a single ZADD (a Celery message with a
countdown per offer cost more than the routing decision itself), and re-setting one moves it. The
beat task `routing.fire_due_timers` runs every TIMER_SWEEP_SECONDS and fires what is due, each inside
its tenant's schema, so a timer fires at most about that late.

Every handler is idempotent and re-checks state under lock (a timer may fire early or twice and do
nothing). A timer is claimed with ZREM before it runs, so parallel sweeps never run one twice; one
whose handler fails is put back a little later. Only one beat runs per deployment, but sweeps may
overlap (a long sweep and the next tick), which the claim makes safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django_tenants.utils import schema_context, schema_exists

from .keys import redis_key
from .redis import get_redis

logger = logging.getLogger(__name__)

# The key keeps the name it had when timers lived in routing, so timers set before the move still fire.
KEY = redis_key("public", "routing", "timers")
TIMER_SWEEP_SECONDS = 0.5  # the beat interval of `routing.fire_due_timers` (ccaas/celery.py)
RETRY_SECONDS = 10.0  # a timer whose handler failed runs again this much later
SWEEP_BATCH = 200

_REGISTRY: dict[str, Callable[[int], Any]] = {}


def register_timer(kind: str, handler: Callable[[int], Any]) -> None:
    """Run `handler(obj_id)` (inside the timer's tenant) when a timer of `kind` is due. Called from
    the owning app's AppConfig.ready; a kind has one handler."""
    if _REGISTRY.get(kind, handler) is not handler:
        raise ValueError(f"Timer kind {kind!r} already has a handler")
    _REGISTRY[kind] = handler


def _handlers() -> dict[str, Callable[[int], Any]]:
    return dict(_REGISTRY)


def member(schema: str, kind: str, obj_id: int) -> str:
    redis_key(schema, kind, obj_id)  # the same checks as every key: no separator can hide in a part
    return f"{schema}|{kind}|{obj_id}"


def _due_at(when: datetime | float) -> float:
    return when.timestamp() if isinstance(when, datetime) else float(when)


def set_timer(schema: str, kind: str, obj_id: int, when: datetime | float) -> None:
    """Fire `kind` for `obj_id` in `schema` at `when` (a datetime, or Unix time); replaces an earlier
    timer of the same object. Sets it now: inside a transaction use `set_timer_on_commit`."""
    get_redis().zadd(KEY, {member(schema, kind, obj_id): _due_at(when)})


def set_timer_on_commit(schema: str, kind: str, obj_id: int, when: datetime | float) -> None:
    """Set the timer once the current transaction commits (at once outside a transaction)."""
    name = member(schema, kind, obj_id)
    due = _due_at(when)
    transaction.on_commit(lambda: get_redis().zadd(KEY, {name: due}))


def clear_timer_on_commit(schema: str, kind: str, obj_id: int) -> None:
    """Drop the timer once the current transaction commits (the thing it guarded is over)."""
    name = member(schema, kind, obj_id)
    transaction.on_commit(lambda: get_redis().zrem(KEY, name))


def due_at(schema: str, kind: str, obj_id: int) -> float | None:
    """When this timer fires (Unix time), or None when none is set."""
    score = get_redis().zscore(KEY, member(schema, kind, obj_id))
    return None if score is None else float(score)


def _parse(name: str) -> tuple[str, str, int] | None:
    schema, kind, obj_id = [*name.split("|"), "", ""][:3]
    if not schema or not obj_id.isdigit():
        return None
    return schema, kind, int(obj_id)


def fire_due(now: float | None = None) -> int:
    """Run every timer due by `now` (default: the current time). Returns how many ran."""
    r = get_redis()
    handlers = _handlers()
    limit = time.time() if now is None else now
    fired = 0
    while True:
        names = [str(n) for n in r.zrangebyscore(KEY, "-inf", limit, start=0, num=SWEEP_BATCH)]
        for name in names:
            if not r.zrem(KEY, name):
                continue  # another sweep claimed it
            parsed = _parse(name)
            if parsed is None or parsed[1] not in handlers:
                logger.error("Dropping a timer nobody handles: %s", name)
                continue
            schema, kind, obj_id = parsed
            try:
                with schema_context(schema):
                    handlers[kind](obj_id)
            except Exception:
                if not schema_exists(schema):
                    continue  # the tenant is gone, and its timers with it
                logger.exception("Timer %s failed; it runs again in %ss", name, RETRY_SECONDS)
                r.zadd(KEY, {name: time.time() + RETRY_SECONDS}, nx=True)
                continue
            fired += 1
        if len(names) < SWEEP_BATCH:
            return fired
