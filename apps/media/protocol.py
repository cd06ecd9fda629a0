"""Messages between the web/worker processes and the media workers, over the channel layer.

Every message carries the schema name of the tenant it is for; a media worker handles it inside
that tenant and nowhere else. Requests carry `reply_channel`; the reply always has `type`, `worker`
(the id of the worker that answered) and `schema`, and on refusal is
`{"type": "media.error", "code", "message", "fields", "call_id"}`.

Calls (`call_id`: 1-64 of [A-Za-z0-9_-], unique in the tenant, chosen by the signaling layer):

- `media.call.start`: call_id, recording: bool, video: bool, ringback?, hold? -> `media.call.started`
  (call_id, channel: the owner's own channel, recording, video). Refused with `call_owned` when
  another worker has the call.
- `media.peer.offer`: call_id, party ("customer" or "agent"), sdp, reset? (true: a new browser takes
  the party's place, e.g. the next agent after a transfer; its old peer is closed) -> `media.peer.answer`
  (call_id, party, sdp, sdp_type="answer"). A bad SDP gets `invalid_sdp`; the call goes on.
- `media.peer.candidate`: call_id, party, candidate ("candidate:..." or "" for the end), sdpMid,
  sdpMLineIndex -> `media.ok`; a bad one gets `invalid_candidate`.
- `media.call.answer`: call_id (an agent took the call: ringback stops) -> `media.call.state`.
- `media.call.hold` / `media.call.resume`: call_id, parties? (default ["customer"]), file? (hold
  only) -> `media.call.state` (state, held).
- `media.call.stats`: call_id -> `media.call.stats` (state, frames sent and received per party).
- `media.call.end`: call_id, ended_by? -> `media.call.ended` (recording: {id, name, duration, size,
  streams, complete} or null, stats).
- `media.worker.stats`: reset? (send it to one worker's channel) -> `media.worker.stats`.

`ringback` / `hold` / `file` name a file in Django's default storage inside the tenant's folder
(`<schema>/...`); without one the worker plays a built-in tone. Half-trickle: the answer already holds
the worker's candidates; the browser's own may follow as `media.peer.candidate`.

Events the worker publishes to the call's group `group_name(schema, "call", call_id)` (as
`{"type": "event.relay", "event": {...}}`, like `apps.core.events`):
`call.media_lost` (call_id, reason: media_worker_died | media_worker_stopped | lease_lost) and
`call.recording_ready` (call_id, recording)."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import get_channel_layer

# Requests to media workers go through this channel layer (Redis lists: one receiver per message);
# the workers' events to call groups go through the default layer, which the sockets listen on.
MEDIA_LAYER = "media"
# Any media worker may take a message sent here (channels_redis hands each to one receiver).
MEDIA_CHANNEL = "media.control"
# Each worker also listens on its own channel (`<prefix><random>`), stored in its calls' leases.
WORKER_CHANNEL_PREFIX = "media.worker."


async def request_media(
    schema_name: str, message: dict[str, Any], timeout: float = 5.0, channel: str = MEDIA_CHANNEL
) -> dict[str, Any]:
    """Send `message` to a media worker for tenant `schema_name` and wait for its reply."""
    layer = get_channel_layer(MEDIA_LAYER)
    assert layer is not None
    # The default prefix on purpose: channels_redis reads all of a process's own channels through one
    # "specific.<client>!" key; another prefix would not be read while a consumer waits on its own.
    reply_channel = await layer.new_channel()
    await layer.send(channel, {**message, "schema": schema_name, "reply_channel": reply_channel})
    reply: dict[str, Any] = await asyncio.wait_for(layer.receive(reply_channel), timeout)
    return reply


async def request_call(
    schema_name: str, call_id: str, message: dict[str, Any], timeout: float = 10.0
) -> dict[str, Any]:
    """Send a message about an existing call straight to the worker that owns it (any worker would
    forward it there too). Starting a call goes to `MEDIA_CHANNEL`."""
    from .selectors import call_media_owner

    owner = (
        None
        if message.get("type") == "media.call.start"
        else await asyncio.to_thread(call_media_owner, schema_name, call_id)
    )
    channel = owner["channel"] if owner else MEDIA_CHANNEL
    return await request_media(schema_name, {**message, "call_id": call_id}, timeout, channel)


async def ping_media_worker(schema_name: str, timeout: float = 5.0) -> dict[str, Any]:
    return await request_media(schema_name, {"type": "media.ping"}, timeout)
