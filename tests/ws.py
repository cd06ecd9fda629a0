"""A WebSocket client for the live server: connects to 127.0.0.1 but says the tenant's Host."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


async def open_ws(
    port: int, host: str, path: str = "/ws/desktop/", cookie: str | None = None, origin: str | None = None
) -> ClientConnection:
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    return await connect(
        f"ws://{host}:{port}{path}",
        host="127.0.0.1",
        port=port,
        additional_headers=headers,
        origin=origin,
        open_timeout=10,
    )  # type: ignore[arg-type]


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_nothing(ws: ClientConnection, within: float = 1.0) -> None:
    try:
        frame = await asyncio.wait_for(ws.recv(), within)
    except TimeoutError:
        return
    raise AssertionError(f"Expected no frame, got {frame!r}")


def run_async(coro: Any) -> Any:
    """Run a coroutine to completion on its own thread and loop (the test thread may already have a
    running loop: Playwright's sync API keeps one)."""
    import threading

    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
