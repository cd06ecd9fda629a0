"""The media the worker sends to a party: nothing (the common case: the parties talk peer to peer),
or a looping clip (ringback while queued, hold media while held)."""

from __future__ import annotations

import asyncio
import fractions
import time

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.packet import Packet

from .clips import AUDIO_CLOCK, VIDEO_CLOCK, Clip


class OutgoingTrack(MediaStreamTrack):
    """Sends pre-encoded packets of the current clip, paced in real time, with continuous timestamps
    across clip switches. While no clip is set, `recv` waits: the sender encodes and sends nothing."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._clock = AUDIO_CLOCK if kind == "audio" else VIDEO_CLOCK
        self._time_base = fractions.Fraction(1, self._clock)
        self._clip: Clip | None = None
        self._index = 0
        self._pts = 0
        self._origin = 0.0  # monotonic time of pts 0
        self._wake = asyncio.Event()
        self.sent = 0

    @property
    def clip(self) -> Clip | None:
        return self._clip

    def play(self, clip: Clip | None) -> None:
        if clip is not None and not clip.packets(self.kind):
            clip = None
        if clip is self._clip:
            return
        self._clip = clip
        self._index = 0
        self._wake.set()

    def stop(self) -> None:
        super().stop()
        self._wake.set()

    async def recv(self) -> Packet:  # type: ignore[override]
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            clip = self._clip
            if clip is None:
                self._wake.clear()
                await self._wake.wait()
                continue
            packets = clip.packets(self.kind)
            item = packets[self._index % len(packets)]
            self._index += 1
            now = time.monotonic()
            if self._origin == 0.0:
                self._origin = now
            due = self._origin + self._pts / self._clock
            if now - due > 0.2:
                # Idle or stalled: the media clock went on meanwhile. Skip timestamps forward (as a
                # capture clock would) rather than burst to catch up or shift the clock's origin.
                self._pts += int((now - due) * self._clock)
                due = now
            if due > now:
                await asyncio.sleep(due - now)
            packet = Packet(item.data)
            packet.pts = self._pts
            packet.time_base = self._time_base
            packet.is_keyframe = item.keyframe
            self._pts += item.duration
            self.sent += 1
            return packet
