"""One call on the media worker: a peer connection per party (customer, agent), what the worker plays
to each, and what it receives from each.

Media path (docs/architecture.md, Media): customer and agent talk peer to peer; each also sends a copy
of its own outgoing tracks to the worker on its peer connection here. The worker only receives
(recording without transcoding) and sends only ringback and hold clips, pre-encoded."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from .clips import Clip
from .config import MAX_SDP_BYTES, ice_servers
from .errors import MediaError
from .recording import CallMedia
from .tracks import OutgoingTrack

logger = logging.getLogger(__name__)

# The worker forwards nothing it would have to transcode: Opus and VP8 only (plus RTX for VP8).
_PREFERRED = {"audio": ("audio/opus",), "video": ("video/VP8", "video/rtx")}


@dataclass
class Party:
    name: str
    audio_out: OutgoingTrack = field(default_factory=lambda: OutgoingTrack("audio"))
    video_out: OutgoingTrack = field(default_factory=lambda: OutgoingTrack("video"))
    pc: RTCPeerConnection | None = None

    def play(self, clip: Clip | None) -> None:
        self.audio_out.play(clip)
        self.video_out.play(clip)

    async def close(self) -> None:
        self.audio_out.stop()
        self.video_out.stop()
        if self.pc is not None:
            await self.pc.close()
            self.pc = None


class Call:
    """Precondition for every method: the caller holds `self.lock` (messages of one call are serialised)."""

    def __init__(
        self,
        *,
        schema: str,
        call_id: str,
        video: bool,
        media: CallMedia,
        ringback: Clip,
        hold: Clip,
    ) -> None:
        self.schema, self.call_id, self.video = schema, call_id, video
        self.media = media
        self.ringback, self.hold_clip = ringback, hold
        self.parties = {name: Party(name) for name in ("customer", "agent")}
        self.state = "queued"  # queued -> answered <-> held -> ended
        self.held: set[str] = set()
        self.lock = asyncio.Lock()
        self.started = time.monotonic()

    # --- what each party hears ---------------------------------------------------------------

    def _refresh(self) -> None:
        for name, party in self.parties.items():
            if name in self.held:
                party.play(self.hold_clip)
            elif self.state == "queued" and name == "customer":
                party.play(self.ringback)
            else:
                party.play(None)

    def answer(self) -> None:
        if self.state == "queued":
            self.state = "answered"
        self._refresh()

    def hold(self, parties: list[str]) -> None:
        self.held.update(parties)
        if self.state == "answered":
            self.state = "held"
        self._refresh()

    def resume(self, parties: list[str]) -> None:
        self.held.difference_update(parties)
        if self.state == "held" and not self.held:
            self.state = "answered"
        self._refresh()

    async def reset(self, party_name: str) -> None:
        """A new browser takes this party's place (the agent after a transfer): drop the old peer."""
        party = self.parties[party_name]
        if party.pc is None:
            return
        await party.close()
        self.parties[party_name] = Party(party_name)
        self._refresh()

    # --- signaling ---------------------------------------------------------------------------

    async def offer(self, party_name: str, sdp: Any, sdp_type: Any) -> str:
        """Apply a party's offer and return the worker's answer (with its candidates: half-trickle)."""
        if sdp_type != "offer":
            raise MediaError("Only offers are accepted; the worker answers.", code="invalid_sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP_BYTES:
            raise MediaError("The SDP is not a session description.", code="invalid_sdp")
        party = self.parties[party_name]
        fresh = party.pc is None
        pc = party.pc or self._new_pc(party)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except MediaError:
            raise
        except Exception as exc:
            if fresh:
                party.pc = None
                await pc.close()
            raise MediaError(f"The offer could not be applied: {exc}", code="invalid_sdp") from exc
        self._refresh()
        assert pc.localDescription is not None
        return pc.localDescription.sdp

    def _new_pc(self, party: Party) -> RTCPeerConnection:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[RTCIceServer(urls=url) for url in ice_servers()]))
        party.pc = pc
        # Transceivers made before the offer is applied carry our codec preferences into the
        # negotiation (preferences set afterwards would only apply to the next offer).
        outgoing = [party.audio_out, party.video_out] if self.video else [party.audio_out]
        for track in outgoing:
            transceiver = pc.addTransceiver(track, direction="sendrecv")
            caps = RTCRtpSender.getCapabilities(track.kind)
            if caps is not None:
                transceiver.setCodecPreferences([c for c in caps.codecs if c.mimeType in _PREFERRED[track.kind]])

        @pc.on("track")
        def on_track(track: Any) -> None:
            receiver = next((t.receiver for t in pc.getTransceivers() if t.receiver.track is track), None)
            if isinstance(receiver, RTCRtpReceiver):
                self.media.tap(party.name, track.kind, receiver)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            logger.info("Call %s/%s %s peer: %s", self.schema, self.call_id, party.name, pc.connectionState)

        return pc

    async def candidate(self, party_name: str, candidate: Any, sdp_mid: Any, sdp_mline_index: Any) -> None:
        pc = self.parties[party_name].pc
        if pc is None:
            raise MediaError("Send the offer before candidates.", code="no_peer")
        if candidate in (None, ""):
            return  # end of candidates: aiortc gathers and checks on its own
        try:
            if not isinstance(candidate, str):
                raise ValueError("not a string")
            text = candidate.split(":", 1)[1] if candidate.startswith("candidate:") else candidate
            parsed: RTCIceCandidate = candidate_from_sdp(text)
            parsed.sdpMid = sdp_mid if isinstance(sdp_mid, str) else None
            parsed.sdpMLineIndex = sdp_mline_index if isinstance(sdp_mline_index, int) else None
            if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
                parsed.sdpMLineIndex = 0
            await pc.addIceCandidate(parsed)
        except Exception as exc:
            raise MediaError(f"Bad ICE candidate: {exc or type(exc).__name__}", code="invalid_candidate") from exc

    # --- the end -----------------------------------------------------------------------------

    async def close(self) -> None:
        self.state = "ended"
        for party in self.parties.values():
            await party.close()

    def describe(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "state": self.state,
            "held": sorted(self.held),
            "video": self.video,
            "recording": self.media.record,
            "elapsed": round(time.monotonic() - self.started, 3),
            "sent": {name: {"audio": p.audio_out.sent, "video": p.video_out.sent} for name, p in self.parties.items()},
            "received": self.media.stats(),
        }
