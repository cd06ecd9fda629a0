"""Running code inside a tenant from anywhere: async consumers, the media worker, scripts.

django-tenants sets the schema on the connection of the thread that calls `set_tenant`. In async code
the ORM runs on a thread pool (`database_sync_to_async`), so the schema must be set *inside* that
thread, around each block of ORM calls. `in_tenant` does exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

P = ParamSpec("P")
R = TypeVar("R")


def run_in_schema(schema_name: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Call `fn` synchronously with the connection switched to `schema_name`."""
    with schema_context(schema_name):
        return fn(*args, **kwargs)


# Channels' default runs every consumer's ORM call on one shared thread, one after another; with
# hundreds of sockets that single thread was the ceiling (18 chat messages/s in benchmarks/chat.py).
# Each socket still handles one frame at a time, and each pool thread has its own connection, so the
# pool has a fixed size (ASYNC_ORM_THREADS) rather than the event loop's default executor, whose size
# follows the machine's CPU count (up to 32 connections per process).
_run_in_schema_pooled: DatabaseSyncToAsync | None = None


def _pooled() -> DatabaseSyncToAsync:
    global _run_in_schema_pooled
    if _run_in_schema_pooled is None:  # made on first use: after fork, with the settings loaded
        executor = ThreadPoolExecutor(max_workers=settings.ASYNC_ORM_THREADS, thread_name_prefix="tenant-orm")
        _run_in_schema_pooled = DatabaseSyncToAsync(run_in_schema, thread_sensitive=False, executor=executor)
    return _run_in_schema_pooled


async def in_tenant(schema_name: str, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Await `fn(*args, **kwargs)` on the ORM thread pool, inside `schema_name`."""
    result: R = await _pooled()(schema_name, fn, *args, **kwargs)
    return result


def current_schema() -> str:
    """The schema this thread's connection is on (django-tenants adds `schema_name`)."""
    return str(getattr(connection, "schema_name", "public"))
