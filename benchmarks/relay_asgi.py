"""The chat benchmark's floor: a bare Channels relay, served by daphne on the same channel layer as the
product, with no database, no tenant and no session.

A socket joins the rooms it names (`{"type": "join", "room": r}`); a frame
`{"type": "message.send", "room": r, ...}` goes to the room's group and comes back, as
`{"type": "message", "message": {...}}`, to every socket in it (the sender's own included), which is
the shape of a chat message from a customer to their conversation's group (the widget and the
assigned agent's desktop). Run as `daphne benchmarks.relay_asgi:application` (benchmarks/chat.py
starts it)."""

from __future__ import annotations

import gc
import json
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.test")

import django

django.setup()

from channels.consumer import get_handler_name  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class RelayConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        # As the product's TenantConsumer: no `close_old_connections` thread hop per frame (there is
        # no database here at all).
        await getattr(self, get_handler_name(message))(message)

    async def connect(self) -> None:
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame: dict[str, Any] = json.loads(text_data or "{}")
        room = f"relaybench.room.{int(frame.get('room', 0))}"
        if frame.get("type") == "join":
            await self.channel_layer.group_add(room, self.channel_name)
            await self.send(text_data=json.dumps({"type": "joined", "room": frame.get("room")}))
        elif frame.get("type") == "message.send":
            message = {"body": frame.get("body", ""), "client_id": frame.get("client_id")}
            await self.channel_layer.group_send(room, {"type": "relay.message", "message": message})

    async def relay_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "message", "message": event["message"]}))


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws/relay/", RelayConsumer.as_asgi())])})
gc.freeze()  # as ccaas/asgi.py does for the product's web process
