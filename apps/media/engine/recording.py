"""Recording without transcoding.

The worker taps each party's RTP receiver after its jitter buffer: the reassembled Opus / VP8 frames
go straight into a WebM file (one track per party and kind, timestamps aligned to the call's start),
and are never decoded or re-encoded. aiortc's `MediaRecorder` would decode every frame and encode it
again, which costs about as much CPU as relaying the call (see docs/architecture.md, Media).

WebM (a Matroska profile): browsers play it (supervisors listen in the desktop), it holds Opus and VP8
and several tracks, and it is written progressively, so the file a crashed worker leaves behind can
still be remuxed. Ogg cannot carry VP8; MP4 would need Opus-in-MP4 and a finished index.

While the call runs the file lives in the worker's spool folder with a JSON manifest beside it; at the
end it is stored through Django's default storage as `<schema>/recordings/<call_id>.webm`. Leftovers
of a worker that died are finalised by the next worker that starts on the machine (`recover_spool`)."""

from __future__ import annotations

import fractions
import json
import logging
import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
from aiortc import RTCRtpReceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av.packet import Packet

from .clips import AUDIO_CLOCK, VIDEO_CLOCK, opus_packet_samples

logger = logging.getLogger(__name__)

# A frame whose processing lags its RTP schedule by more than this counts as late (a browser's
# jitter buffer holds roughly this much before it conceals).
LATE_SECONDS = 0.06


@dataclass
class StreamStats:
    frames: int = 0
    bytes: int = 0
    lost: int = 0
    late: int = 0
    max_lag_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "bytes": self.bytes,
            "lost": self.lost,
            "late": self.late,
            "max_lag_ms": round(self.max_lag_ms, 1),
        }


@dataclass
class _Track:
    """One received stream of one party: where its frames go and how punctual they are."""

    party: str
    kind: str
    stream: Any  # av stream in the output container, or None when not recording
    clock: int
    time_base: fractions.Fraction
    offset: int | None = None  # pts of the first frame, in clock units since the call started
    first_ts: int = 0
    last_ts: int | None = None
    last_pts: int = -1
    base_lag: float | None = None
    stats: StreamStats = field(default_factory=StreamStats)


class TapQueue:
    """Stands in for an `RTCRtpReceiver`'s decoder queue: frames are handed to the recorder instead of
    the decoder thread, which stays idle until the receiver stops (the `None` sentinel)."""

    def __init__(self, sink: CallMedia, track: _Track) -> None:
        self._sink, self._track = sink, track
        self._inner: queue.Queue[Any] = queue.Queue()

    def put(self, item: tuple[RTCRtpCodecParameters, JitterFrame] | None) -> None:
        if item is None:
            self._inner.put(None)
        else:
            self._sink.on_frame(self._track, item[1])

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get(*args, **kwargs)


class CallMedia:
    """Everything received for one call: punctuality statistics always, a WebM file when recording."""

    def __init__(self, *, spool: Path, schema: str, call_id: str, worker: str, record: bool, video: bool) -> None:
        self.schema, self.call_id, self.record, self.video = schema, call_id, record, video
        self.started_wall = time.time()
        self.started = time.monotonic()
        self.path = spool / f"{schema}__{call_id}.webm"
        self.manifest = self.path.with_suffix(".json")
        self.tracks: dict[tuple[str, str], _Track] = {}
        self.container: Any = None
        kinds = ["audio", "video"] if video else ["audio"]
        if record:
            self.manifest.write_text(
                json.dumps(
                    {
                        "schema": schema,
                        "call_id": call_id,
                        "worker": worker,
                        "started": self.started_wall,
                        "video": video,
                    }
                )
            )
            # Crash safety: close a cluster every second and flush it; do not hold packets back waiting
            # for a party that has not joined yet (the interleaver would, for 10 s by default).
            options = {"cluster_time_limit": "1000", "flush_packets": "1", "max_interleave_delta": "1000000"}
            self.container = av.open(str(self.path), "w", format="webm", options=options)
            self.container.metadata["title"] = f"call {call_id}"
        for kind in kinds:
            for party in ("customer", "agent"):
                stream = self._add_stream(party, kind) if record else None
                clock = AUDIO_CLOCK if kind == "audio" else VIDEO_CLOCK
                self.tracks[(party, kind)] = _Track(party, kind, stream, clock, fractions.Fraction(1, clock))

    def _add_stream(self, party: str, kind: str) -> Any:
        # Streams copied from a template carry codec parameters without opening an encoder.
        stream = self.container.add_stream_from_template(template_stream(kind))
        stream.metadata["title"] = party
        stream.metadata["language"] = "und"
        return stream

    def tap(self, party: str, kind: str, receiver: RTCRtpReceiver) -> None:
        """Route `receiver`'s frames here. Precondition: its `receive()` has not run yet (the peer
        connection calls it once connected, after setRemoteDescription)."""
        track = self.tracks.get((party, kind))
        if track is None:
            return
        # A new sender for this party (the next agent after a transfer): its timestamps start
        # again, so its place on the timeline is computed afresh from its first frame.
        track.offset = None
        track.last_ts = None
        track.base_lag = None
        receiver._RTCRtpReceiver__decoder_queue = TapQueue(self, track)  # type: ignore[attr-defined]

    def on_frame(self, track: _Track, frame: JitterFrame) -> None:
        now = time.monotonic()
        ts = frame.timestamp  # mapped by the receiver: starts at 0, unwrapped
        stats = track.stats
        if track.offset is None:
            if track.kind == "video" and not _vp8_keyframe(frame.data):
                return  # a recording must start on a keyframe
            track.offset = int((now - self.started) * track.clock)
            track.first_ts = ts
        elif track.last_ts is not None and track.kind == "audio":
            step = opus_packet_samples(frame.data)
            gap = ts - track.last_ts
            if gap > step:
                stats.lost += gap // step - 1
        track.last_ts = ts
        # Lag: how far behind its RTP schedule this frame is processed, relative to the best seen.
        lag = now - ts / track.clock
        if track.base_lag is None or lag < track.base_lag:
            track.base_lag = lag
        late = lag - track.base_lag
        stats.max_lag_ms = max(stats.max_lag_ms, late * 1000)
        if late > LATE_SECONDS:
            stats.late += 1
        stats.frames += 1
        stats.bytes += len(frame.data)
        if track.stream is None or self.container is None:
            return
        pts = track.offset + ts - track.first_ts
        if pts <= track.last_pts:
            return
        packet = Packet(frame.data)
        packet.stream = track.stream
        packet.time_base = track.time_base
        packet.pts = packet.dts = pts
        if track.kind == "audio":
            packet.duration = opus_packet_samples(frame.data)
        else:
            packet.is_keyframe = _vp8_keyframe(frame.data)
        try:
            self.container.mux(packet)
            track.last_pts = pts
        except av.FFmpegError:
            logger.warning("Dropped a %s frame of call %s", track.kind, self.call_id, exc_info=True)

    def stats(self) -> dict[str, Any]:
        return {f"{party}.{kind}": track.stats.as_dict() for (party, kind), track in self.tracks.items()}

    def close(self) -> Path | None:
        """Finish the file. Returns its path, or None when nothing was recorded."""
        if self.container is None:
            return None
        self.container.close()
        self.container = None
        return self.path


def _vp8_keyframe(data: bytes) -> bool:
    return bool(data) and not (data[0] & 0x01)


# --- templates: codec parameters of an Opus and a VP8 stream ------------------------------------

_TEMPLATES: dict[str, Any] = {}


def init_templates(folder: Path) -> None:
    """Write (once) a tiny WebM with one Opus and one VP8 stream whose parameters new recordings copy."""
    path = folder / "template.webm"
    if not path.exists():
        tmp = folder / f"template.{os.getpid()}.webm"
        out = av.open(str(tmp), "w", format="webm")
        audio = out.add_stream("libopus", rate=AUDIO_CLOCK)
        audio.layout = "stereo"  # type: ignore[attr-defined]
        video = out.add_stream("libvpx", rate=30)
        video.width, video.height, video.pix_fmt = 640, 360, "yuv420p"  # type: ignore[attr-defined]
        with av.open(f"anullsrc=r={AUDIO_CLOCK}:cl=stereo", format="lavfi") as src:
            for index, frame in enumerate(src.decode(audio=0)):
                frame.pts = None
                out.mux(audio.encode(frame))  # type: ignore[attr-defined]
                if index > 3:
                    break
        out.mux(audio.encode(None))  # type: ignore[attr-defined]
        with av.open("color=black:size=640x360:rate=30:duration=0.1", format="lavfi") as src:
            for vframe in src.decode(video=0):
                out.mux(video.encode(vframe.reformat(format="yuv420p")))  # type: ignore[attr-defined]
        out.mux(video.encode(None))  # type: ignore[attr-defined]
        out.close()
        tmp.replace(path)
    container = av.open(str(path))
    _TEMPLATES["container"] = container  # keeps the streams' parameters alive
    _TEMPLATES["audio"] = container.streams.audio[0]
    _TEMPLATES["video"] = container.streams.video[0]


def template_stream(kind: str) -> Any:
    return _TEMPLATES[kind]


# --- after the call ------------------------------------------------------------------------------


@dataclass
class ProbedRecording:
    duration: float
    size: int
    streams: list[dict[str, Any]]


def probe(path: Path) -> ProbedRecording:
    with av.open(str(path)) as container:
        duration = (container.duration or 0) / 1_000_000
        streams = [
            {"index": s.index, "type": s.type, "codec": s.codec_context.name, "party": s.metadata.get("title", "")}
            for s in container.streams
        ]
    return ProbedRecording(duration=duration, size=path.stat().st_size, streams=streams)


def remux(src: Path, dst: Path) -> bool:
    """Copy what can be read of a file a crashed worker left behind into a well-formed WebM."""
    copied = 0
    try:
        with av.open(str(src)) as inp, av.open(str(dst), "w", format="webm") as out:
            mapping = {}
            for stream in inp.streams:
                if stream.type in ("audio", "video"):
                    copy = out.add_stream_from_template(stream)
                    copy.metadata["title"] = stream.metadata.get("title", "")
                    mapping[stream.index] = copy
            try:
                for packet in inp.demux(*[inp.streams[i] for i in mapping]):
                    if packet.dts is None or not packet.size:
                        continue
                    packet.stream = mapping[packet.stream.index]
                    out.mux(packet)
                    copied += 1
            except (av.FFmpegError, EOFError):
                pass  # truncated tail: keep what came before
    except (av.FFmpegError, OSError):
        logger.warning("Leftover recording %s is unreadable", src, exc_info=True)
        return False
    return copied > 0
