"""The base of every WebSocket consumer (desktop and widget): one per browser tab, multiplexing every stream.

Frames are JSON objects with a "type". Errors come back as {"type": "error", "code", "message"}
and the connection stays open."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from . import jsonsafety
from .errors import ApplicationError
from .ratelimit import frame_limiter, frame_rate_limited_error

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024


def same_origin(scope: dict[str, Any]) -> bool:
    """True when the page that opened the socket is on the socket's own host (or sent no Origin)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    if not origin:
        return True
    host = headers.get(b"host", b"").decode("latin-1")
    return urlsplit(origin).netloc.lower() == host.lower()


class TenantConsumer(AsyncWebsocketConsumer):
    """Base for every consumer: knows its tenant (set by TenantWebSocketMiddleware)."""

    @property
    def schema_name(self) -> str:
        return str(self.scope["tenant"].schema_name)

    async def send_json(self, data: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(data))

    async def refuse(self, close_code: int) -> None:
        await self.accept()
        await self.close(code=close_code)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    def rate_ident(self) -> str:
        """Whose frames these are, for the per-user frame limit: the signed-in user, else this socket."""
        user = self.scope.get("user")
        return f"u{user.pk}" if getattr(user, "is_authenticated", False) else f"s{id(self)}"

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # Before anything else, and without I/O: a flood from one tenant or user is answered with an
        # error frame saying when to retry, and costs no decoding, database or Redis work.
        wait = frame_limiter.wait(self.schema_name, self.rate_ident())
        if wait > 0:
            await self.send_json(frame_rate_limited_error(wait))
            return
        if text_data is None:
            await self.send_error("bad_frame", "Frames must be JSON text.")
            return
        if len(text_data) > MAX_FRAME_BYTES:
            await self.send_error("frame_too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            frame = jsonsafety.loads(text_data)
        except jsonsafety.BadInput as exc:
            if exc.code == "parse_error":
                await self.send_error("bad_frame", "Frames must be JSON objects.")
            else:  # nested too deeply, too many values, NUL or a lone surrogate
                await self.send_error(exc.code, exc.message)
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("bad_frame", "Frames must be JSON objects with a string 'type'.")
            return
        handler = getattr(self, "on_" + frame["type"].replace(".", "_"), None)
        if handler is None:
            await self.send_error("unknown_type", f"Unknown frame type {frame['type']!r}.")
            return
        try:
            await handler(frame)
        except ApplicationError as exc:
            await self.send_error(exc.code, exc.message)
        except Exception:
            # A bug in one frame's handling must not close the socket (Channels would answer 1011).
            logger.exception("Frame %r failed", frame["type"])
            await self.send_error("server_error", "Something went wrong on our side.")

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own dispatch first runs `close_old_connections` on a thread for every frame and
        every relayed event (a thread hop each, a third of a chat message's cost). Our ORM work goes
        through `in_tenant`, whose pool thread closes stale connections around each call itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def event_relay(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def event_relay_text(self, message: dict[str, Any]) -> None:
        """An event its sender encoded once (`events.send_event_text`): dropped unless the consumer opts in
        (`relay_text`, after its own checks); nothing skips a consumer's checks by arriving as text."""

    async def relay_text(self, message: dict[str, Any]) -> None:
        await self.send(text_data=message["text"])
