"""Presence follows the desktop connection. Each open desktop tab refreshes a deadline in Redis; an
agent none of whose tabs refreshed within PRESENCE_TTL_SECONDS is made offline by the sweep (a beat
task), and their ringing offers move on. A reload within the grace period does not flap the agent.

Keys: `<schema>:presence:user:<id>` (a sorted set of connection ids by deadline) and one platform
index `public:presence:deadlines` (members `<schema>|<user id>`, by the latest deadline)."""

from __future__ import annotations

import time

from apps.core.keys import redis_key
from apps.core.redis import get_redis

PRESENCE_TTL_SECONDS = 20
INDEX_KEY = redis_key("public", "presence", "deadlines")


def _user_key(schema: str, user_id: int) -> str:
    return redis_key(schema, "presence", "user", user_id)


def touch(schema: str, user_id: int, connection_id: str, now: float | None = None) -> None:
    deadline = (now or time.time()) + PRESENCE_TTL_SECONDS
    pipe = get_redis().pipeline()
    pipe.zadd(_user_key(schema, user_id), {connection_id: deadline})
    pipe.expire(_user_key(schema, user_id), PRESENCE_TTL_SECONDS * 3)
    pipe.zadd(INDEX_KEY, {f"{schema}|{user_id}": deadline})
    pipe.execute()


def drop(schema: str, user_id: int, connection_id: str) -> None:
    """A tab closed cleanly. The agent stays until the sweep finds no tab left after the deadline."""
    get_redis().zrem(_user_key(schema, user_id), connection_id)


def live_connections(schema: str, user_id: int, now: float | None = None) -> int:
    r = get_redis()
    r.zremrangebyscore(_user_key(schema, user_id), "-inf", now or time.time())
    return int(r.zcard(_user_key(schema, user_id)))


def due(now: float | None = None) -> list[tuple[str, int]]:
    """(schema, user id) of users whose deadline passed; the sweep decides whether they are gone."""
    members = get_redis().zrangebyscore(INDEX_KEY, "-inf", now or time.time())
    out = []
    for member in members:
        schema, _sep, user_id = str(member).partition("|")
        if user_id.isdigit():
            out.append((schema, int(user_id)))
    return out


def forget(schema: str, user_id: int) -> None:
    get_redis().zrem(INDEX_KEY, f"{schema}|{user_id}")


def any_signed_in(schema: str, user_ids: list[int], now: float | None = None) -> bool:
    """Has any of these users a desktop tab open now (one round trip)?"""
    if not user_ids:
        return False
    at = now or time.time()
    pipe = get_redis().pipeline(transaction=False)
    for user_id in user_ids:
        pipe.zcount(_user_key(schema, user_id), at, "+inf")
    return any(int(n) > 0 for n in pipe.execute())
