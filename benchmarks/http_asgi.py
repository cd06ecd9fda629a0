"""The messaging benchmark's HTTP floor: a bare ASGI application under daphne that reads a POST's body
and answers 200, with no Django, no database and no Redis. Run as `daphne benchmarks.http_asgi:application`
(benchmarks/messaging_ingest.py starts it)."""

from __future__ import annotations

from typing import Any


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = bool(message.get("more_body"))
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": b"ok"})
