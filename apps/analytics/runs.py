"""One analysis of an interaction at a time, and none lost.

Each request (the interaction closed, its recording arrived, a re-run) adds one to the interaction's
"wanted" counter in Redis and queues a task. A task takes the interaction's lock (SET NX with expiry);
a task that finds it taken returns at once: the one holding it sees the counter moved when it finishes
and analyses again, so a request that arrives while an analysis runs (the recording landing just after
the chat part was analysed) is never lost, and two tasks never analyse the same interaction at once.
After releasing the lock the holder looks at the counter once more, for a request whose task found the
lock taken just before the release."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from apps.core.keys import redis_key
from apps.core.redis import get_redis

LOCK_SECONDS = 30 * 60  # longer than any analysis (a 2-hour call takes a few minutes)
WANTED_SECONDS = 7 * 24 * 3600


def _keys(schema: str, interaction_id: int) -> tuple[str, str]:
    return (
        redis_key(schema, "analytics", "wanted", interaction_id),
        redis_key(schema, "analytics", "lock", interaction_id),
    )


def want(schema: str, interaction_id: int) -> None:
    wanted, _lock = _keys(schema, interaction_id)
    r = get_redis()
    r.incr(wanted)
    r.expire(wanted, WANTED_SECONDS)


def _count(key: str) -> int:
    return int(get_redis().get(key) or 0)


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


def run_once_at_a_time(schema: str, interaction_id: int, work: Callable[[], None]) -> int:
    """Run `work` for the interaction until no request is left; returns how many times it ran (0: another
    task holds the interaction and will see this request)."""
    wanted, lock = _keys(schema, interaction_id)
    r = get_redis()
    ran = 0
    while True:
        token = uuid.uuid4().hex
        if not r.set(lock, token, nx=True, ex=LOCK_SECONDS):
            return ran
        try:
            while True:
                seen = _count(wanted)
                work()
                ran += 1
                if _count(wanted) == seen:
                    break
        finally:
            r.eval(_RELEASE, 1, lock, token)
        if _count(wanted) == seen:
            return ran
