"""Async PostgreSQL for the hot paths of the realtime layer (a chat message: one statement).

The ORM runs on a thread pool (`apps.core.tenancy.in_tenant`): every call pays a thread hop, a
`SET search_path` (django-tenants), BEGIN/COMMIT and several round trips. The few paths that run
for every chat message instead run one schema-qualified statement in autocommit on a connection of
this per-process pool, on the event loop itself. Tables are named `<schema>.<table>` (the schema
from the tenant resolved by the ASGI middleware), so the pool is shared by all tenants and no
connection carries a tenant's search_path. psycopg prepares a statement after a few runs; behind
pgbouncer use session pooling, or transaction pooling with pgbouncer >= 1.21 and
`max_prepared_statements` set."""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool

_pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool] = {}


def _conninfo() -> str:
    db = settings.DATABASES["default"]
    params: dict[str, Any] = {
        "dbname": db.get("NAME"),
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "options": "-c TimeZone=UTC",
        "application_name": "ccaas-hot-path",
    }
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


async def pool() -> AsyncConnectionPool:
    """This event loop's pool, opened on first use with all its connections (see `warm`)."""
    loop = asyncio.get_running_loop()
    found = _pools.get(loop)
    if found is None:
        size = settings.HOT_PATH_DB_CONNECTIONS
        found = AsyncConnectionPool(
            _conninfo(),
            # A fixed size: a pool that grows under load grows one connection at a time, while the
            # messages of a burst queue behind the ones it has (measured: waits of 100-190 ms).
            min_size=size,
            max_size=size,
            kwargs={"autocommit": True},
            open=False,
            name="hot-path",
        )
        _pools[loop] = found
        await found.open()
    return found


def warm() -> None:
    """Open this loop's pool in the background, so the first messages do not wait for connections
    (called when a WebSocket connects)."""
    loop = asyncio.get_running_loop()
    if loop not in _pools:
        task = loop.create_task(pool())
        _warming.add(task)
        task.add_done_callback(_warming.discard)


_warming: set[asyncio.Task[AsyncConnectionPool]] = set()


def table(schema: str, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))


async def execute(query: bytes | sql.Composed, params: dict[str, Any]) -> int:
    """Run one statement that returns no rows (autocommit); the number of rows it changed."""
    async with (await pool()).connection() as conn:
        cursor = await conn.execute(query, params)
        return cursor.rowcount


async def fetchall(query: bytes | sql.Composed, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run one statement (autocommit) and return every row."""
    async with (await pool()).connection() as conn:
        cursor = await conn.execute(query, params)
        return await cursor.fetchall()


async def fetchone(query: bytes | sql.Composed, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Run one statement (autocommit: committed when this returns) and return its first row."""
    async with (await pool()).connection() as conn:
        cursor = await conn.execute(query, params)
        return await cursor.fetchone()
