"""Open sockets follow what their user may do now, not what they could do when they connected.

Each user has an *auth version* in Redis (`<schema>:auth:user:<id>`), bumped after commit by every
action that takes something away from them (deactivation, a role change, signing out of a session),
which then sends `auth.changed` to the user's group: their sockets re-authorise (session and user,
from the database) at once.

The event travels by Redis pub/sub, which can drop it (a web process resubscribing). So each web
process also keeps a mirror of the versions of the users whose sockets it holds, refreshed with one
MGET every AUTH_POLL_SECONDS for all of them, and tells a socket to re-authorise when its user's
version moved. A socket compares its version with the mirror before every frame: a dictionary
lookup, no I/O (a Redis GET per frame measured 170-300 us of CPU with redis.asyncio, a third of a
chat message's whole cost on the hot path). The hot path's own statement and the ORM paths check the
user in the database they query anyway, so a lost event never lets a write through meanwhile."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Any

from django.db import transaction

from apps.core.events import send_event, user_group
from apps.core.keys import redis_key
from apps.core.redis import get_async_redis, get_redis

logger = logging.getLogger(__name__)

AUTH_CHANGED = "auth.changed"
AUTH_POLL_SECONDS = 0.5


def auth_version_key(schema: str, user_id: int) -> str:
    return redis_key(schema, "auth", "user", user_id)


def revoke_sockets_on_commit(schema: str, user_id: int, reason: str) -> None:
    """After the caller's transaction commits (at once outside one): bump the user's auth version,
    then tell their sockets to re-authorise. Callers: the accounts actions that take access away."""

    def run() -> None:
        get_redis().incr(auth_version_key(schema, user_id))
        send_event(schema, auth_changed_event(reason), [user_group(schema, user_id)])

    transaction.on_commit(run)


def auth_changed_event(reason: str) -> dict[str, Any]:
    """`auth.changed` {reason: "deactivated" | "role_changed" | "signed_out"}: never shown to the
    client; the socket re-authorises and closes (4401 signed out, 4409 access changed) or goes on."""
    return {"type": AUTH_CHANGED, "reason": reason}


async def aauth_version(key: str) -> str:
    """The current auth version in Redis ("0" before anything was ever taken from the user)."""
    return str(await get_async_redis().get(key) or "0")


class AuthWatch:
    """The auth versions of the users whose sockets this event loop holds (one per web process)."""

    def __init__(self) -> None:
        self.versions: dict[str, str] = {}
        self.watchers: dict[str, dict[int, Callable[[], Any]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.rechecks: set[asyncio.Future[Any]] = set()

    async def watch(self, key: str, token: int, on_change: Callable[[], Any]) -> str:
        """Watch `key` for a socket (`token` names it); returns the version read now."""
        version = await aauth_version(key)
        self.versions[key] = version
        self.watchers.setdefault(key, {})[token] = on_change
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._poll())
        return version

    def unwatch(self, key: str, token: int) -> None:
        sockets = self.watchers.get(key, {})
        sockets.pop(token, None)
        if not sockets:
            self.watchers.pop(key, None)
            self.versions.pop(key, None)

    def current(self, key: str) -> str | None:
        return self.versions.get(key)

    def seen(self, key: str, version: str) -> None:
        """A socket read `version` itself: the mirror never goes back (versions only grow)."""
        if key in self.watchers and int(version) > int(self.versions.get(key) or 0):
            self.versions[key] = version

    async def _poll(self) -> None:
        while self.watchers:
            await asyncio.sleep(AUTH_POLL_SECONDS)
            keys = list(self.watchers)
            try:
                values = await get_async_redis().mget(keys)
            except Exception:  # Redis away for a moment: the next round tries again
                logger.warning("Could not read auth versions", exc_info=True)
                continue
            for key, value in zip(keys, values, strict=True):
                version = str(value or "0")
                if key in self.watchers and self.versions.get(key) != version:
                    self.versions[key] = version
                    for on_change in list(self.watchers[key].values()):
                        recheck = asyncio.ensure_future(on_change())
                        self.rechecks.add(recheck)
                        recheck.add_done_callback(self.rechecks.discard)


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AuthWatch] = weakref.WeakKeyDictionary()


def auth_watch() -> AuthWatch:
    """The running event loop's AuthWatch."""
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = AuthWatch()
    return watch
