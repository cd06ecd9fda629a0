"""Messages between the web/worker processes and the media workers, over the channel layer.

Every message carries the schema name of the tenant it is for; a media worker handles it inside
that tenant and nowhere else."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import get_channel_layer

# Any media worker may take a message sent here (channels_redis hands each to one receiver).
MEDIA_CHANNEL = "media.control"


async def request_media(schema_name: str, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """Send `message` to a media worker for tenant `schema_name` and wait for its reply."""
    layer = get_channel_layer()
    assert layer is not None
    reply_channel = await layer.new_channel("media.reply.")
    await layer.send(MEDIA_CHANNEL, {**message, "schema": schema_name, "reply_channel": reply_channel})
    reply: dict[str, Any] = await asyncio.wait_for(layer.receive(reply_channel), timeout)
    return reply


async def ping_media_worker(schema_name: str, timeout: float = 5.0) -> dict[str, Any]:
    return await request_media(schema_name, {"type": "media.ping"}, timeout)
