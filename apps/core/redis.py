"""The one Redis client of a process (presence, rate limits, locks, heartbeats), and one asyncio
client per event loop for code on the loop (a socket's per-frame checks) that must not hop threads."""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache

import redis
import redis.asyncio as aredis
from django.conf import settings

# An asyncio client's connections belong to the loop that made them.
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aredis.Redis] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True, socket_timeout=5)


def get_async_redis() -> aredis.Redis:
    """The asyncio Redis client of the running event loop."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = aredis.Redis.from_url(settings.REDIS_URL, decode_responses=True, socket_timeout=5)
        _async_clients[loop] = client
    return client
