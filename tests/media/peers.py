"""In-process aiortc peers standing in for a customer's and an agent's browser on their media leg to
the media worker: they send a tone (and a test pattern for video) and count what the worker sends."""

from __future__ import annotations

import array
import asyncio
import fractions
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from apps.core.keys import redis_key
from apps.core.redis import get_redis
from apps.media.protocol import request_call, request_media


class ToneTrack(MediaStreamTrack):
    """A 440 Hz tone in 20 ms frames, as a microphone would give."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        samples = array.array("h", (int(6000 * math.sin(2 * math.pi * 440 * n / 48000)) for n in range(960)))
        self._payload = samples.tobytes()
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / 48000 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(self._payload)
        frame.sample_rate = 48000
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, 48000)
        self._pts += 960
        return frame


class SmallVideoTrack(VideoStreamTrack):
    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=320, height=180, format="yuv420p")
        for plane in frame.planes:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


@dataclass
class Party:
    """One party's peer connection to the media worker."""

    name: str
    video: bool = False
    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(RTCConfiguration(iceServers=[])))
    received: dict[str, int] = field(default_factory=lambda: {"audio": 0, "video": 0})
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pc.addTrack(ToneTrack())
        if self.video:
            self.pc.addTrack(SmallVideoTrack())

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.received[track.kind] += 1
        except MediaStreamError:
            pass

    async def connect(self, schema: str, call_id: str) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        reply = await request_call(
            schema,
            call_id,
            {"type": "media.peer.offer", "party": self.name, "sdp": self.pc.localDescription.sdp},
        )
        assert reply["type"] == "media.peer.answer", reply
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        return reply

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()


async def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


async def grows(received: dict[str, int], kind: str, by: int, what: str, timeout: float = 20) -> None:
    """Until a frame counter (a `Party`'s or a `Counter`'s `received`) has grown by `by` frames from
    now. Frames are paced in real time by their sender, so `by` frames also mean at least that much
    media time; a slow machine only makes it take longer."""
    start = received[kind]
    deadline = time.monotonic() + timeout
    while received[kind] - start < by:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {received[kind] - start} {kind} frames (wanted {by}) within {timeout}s")
        await asyncio.sleep(0.05)


async def call_stats(schema: str, call_id: str) -> dict[str, Any]:
    stats = await call(schema, call_id, "media.call.stats")
    assert stats["type"] == "media.call.stats", stats
    return stats


async def wait_for_stats(schema: str, call_id: str, predicate: Any, what: str, timeout: float = 30) -> dict[str, Any]:
    """Until the worker's own statistics of the call (`media.call.stats`: frames sent to and received
    from each party) satisfy `predicate`; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        stats = await call_stats(schema, call_id)
        if predicate(stats):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s; worker stats: {stats}")
        await asyncio.sleep(0.2)


def frames_from(stats: dict[str, Any], party: str, kind: str = "audio") -> int:
    return int(stats["received"].get(f"{party}.{kind}", {}).get("frames", 0))


async def worker_stops_sending(
    schema: str, call_id: str, party: str, heard: dict[str, int], what: str, timeout: float = 20
) -> None:
    """Until a span (>= 0.5 s) in which the worker sent no audio to `party` and `party` heard at most
    3 frames from it (one in flight), while the worker kept receiving `party`'s own audio (>= 10
    frames): the worker is demonstrably running, so a stalled machine cannot pass for silence."""
    deadline = time.monotonic() + timeout
    before, heard_before, t0 = await call_stats(schema, call_id), heard["audio"], time.monotonic()
    while True:
        await asyncio.sleep(0.25)
        if time.monotonic() - t0 < 0.5:
            continue
        after, heard_after = await call_stats(schema, call_id), heard["audio"]
        sent = after["sent"][party]["audio"] - before["sent"][party]["audio"]
        alive = frames_from(after, party) - frames_from(before, party)
        if sent == 0 and heard_after - heard_before <= 3 and alive >= 10:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: in the last {time.monotonic() - t0:.1f}s the worker sent {party} {sent} audio frames, "
                f"{party} heard {heard_after - heard_before} and the worker received {alive} from {party}"
            )
        before, heard_before, t0 = after, heard_after, time.monotonic()


def worker_channels() -> dict[str, str]:
    """Live media workers' ids and their own channels, from their heartbeats."""
    r = get_redis()
    out = {}
    for key in r.scan_iter(match=redis_key("public", "media", "worker") + ":*"):
        raw = r.get(key)
        if raw:
            data = json.loads(raw)
            if data.get("channel"):
                out[data["id"]] = data["channel"]
    return out


async def call(schema: str, call_id: str, mtype: str, channel: str | None = None, **fields: Any) -> dict[str, Any]:
    message = {"type": mtype, "call_id": call_id, **fields}
    if channel:
        return await request_media(schema, message, timeout=10, channel=channel)
    return await request_call(schema, call_id, message)


async def listen(group: str) -> tuple[Any, str]:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel("test.listen.")
    await layer.group_add(group, channel)
    return layer, channel


async def next_event(layer: Any, channel: str, type_: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"No {type_} event within {timeout}s")
        message = await asyncio.wait_for(layer.receive(channel), left)
        event = message.get("event", {})
        if event.get("type") == type_:
            return event
