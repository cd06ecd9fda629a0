"""Ringback and hold media, prepared once per file and played to any number of peers without
decoding or encoding per call.

aiortc's `MediaPlayer(loop=True)` decodes the file and the sender re-encodes it for every peer that
hears it; with `decode=False` (pre-encoded packets) its looping loses its pacing and floods the
sender after the first pass (measured: 142,000 frames in 6 s of a 2 s clip). So a file is read once,
transcoded to Opus / VP8 only if it is in another codec, kept in memory as packets, and each peer gets
a cursor over them, paced in real time by `OutgoingTrack`."""

from __future__ import annotations

import fractions
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import av

logger = logging.getLogger(__name__)

AUDIO_CLOCK = 48000
VIDEO_CLOCK = 90000
OPUS_FRAME_SAMPLES = (480, 960, 1920, 2880)  # 10, 20, 40, 60 ms (SILK / hybrid configs)
_CELT_SAMPLES = (120, 240, 480, 960)  # 2.5, 5, 10, 20 ms


def opus_packet_samples(data: bytes) -> int:
    """Samples (at 48 kHz) in one Opus packet, from its TOC byte (RFC 6716 section 3.1)."""
    if not data:
        return 960
    toc = data[0]
    config = toc >> 3
    if config < 12:
        per_frame = OPUS_FRAME_SAMPLES[config % 4]
    elif config < 16:
        per_frame = 480 if config % 2 == 0 else 960
    else:
        per_frame = _CELT_SAMPLES[config % 4]
    code = toc & 3
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        frames = (data[1] & 0x3F) if len(data) > 1 else 1
    return max(per_frame * max(frames, 1), 120)


@dataclass
class ClipPacket:
    data: bytes
    duration: int  # in the kind's clock (48 kHz audio, 90 kHz video)
    keyframe: bool


@dataclass
class Clip:
    """A looping piece of media, as packets ready to send."""

    name: str
    audio: list[ClipPacket] = field(default_factory=list)
    video: list[ClipPacket] = field(default_factory=list)

    def packets(self, kind: str) -> list[ClipPacket]:
        return self.audio if kind == "audio" else self.video


def _audio_packets(container: av.container.InputContainer, stream: av.AudioStream) -> list[ClipPacket]:
    if stream.codec_context.name == "opus":
        return [ClipPacket(bytes(p), opus_packet_samples(bytes(p)), True) for p in container.demux(stream) if p.size]
    # Another codec: transcode to Opus once.
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate = AUDIO_CLOCK  # type: ignore[attr-defined]
    encoder.layout = "stereo"  # type: ignore[attr-defined]
    encoder.format = "s16"  # type: ignore[attr-defined]
    encoder.bit_rate = 48000
    encoder.time_base = fractions.Fraction(1, AUDIO_CLOCK)
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=AUDIO_CLOCK, frame_size=960)
    out: list[ClipPacket] = []
    pts = 0
    for frame in container.decode(stream):
        for chunk in resampler.resample(frame):
            chunk.pts = pts
            pts += chunk.samples
            out += [ClipPacket(bytes(p), opus_packet_samples(bytes(p)), True) for p in encoder.encode(chunk)]  # type: ignore[attr-defined]
    out += [ClipPacket(bytes(p), opus_packet_samples(bytes(p)), True) for p in encoder.encode(None)]  # type: ignore[attr-defined]
    return out


def _video_packets(container: av.container.InputContainer, stream: av.VideoStream) -> list[ClipPacket]:
    rate = float(stream.average_rate or 15)
    default = int(VIDEO_CLOCK / rate) if rate > 0 else 6000
    raw: list[tuple[bytes, int | None, bool]] = []
    if stream.codec_context.name == "vp8":
        tb = stream.time_base or fractions.Fraction(1, 1000)
        for p in container.demux(stream):
            if p.size:
                pts = int(p.pts * tb * VIDEO_CLOCK) if p.pts is not None else None
                raw.append((bytes(p), pts, bool(p.is_keyframe)))
    else:
        encoder = av.CodecContext.create("libvpx", "w")
        width = min(640, stream.codec_context.width) // 2 * 2
        height = min(360, stream.codec_context.height) // 2 * 2
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"  # type: ignore[attr-defined]
        encoder.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        encoder.bit_rate = 600_000
        encoder.options = {"g": str(max(int(rate), 1)), "deadline": "realtime"}
        for index, frame in enumerate(container.decode(stream)):
            image = frame.reformat(width=width, height=height, format="yuv420p")
            image.pts = index * default
            for p in encoder.encode(image):  # type: ignore[attr-defined]
                raw.append((bytes(p), p.pts, bool(p.is_keyframe)))
        for p in encoder.encode(None):  # type: ignore[attr-defined]
            raw.append((bytes(p), p.pts, bool(p.is_keyframe)))
    out: list[ClipPacket] = []
    for index, (data, pts, key) in enumerate(raw):
        nxt = raw[index + 1][1] if index + 1 < len(raw) else None
        duration = nxt - pts if (pts is not None and nxt is not None and 0 < nxt - pts < VIDEO_CLOCK) else default
        out.append(ClipPacket(data, duration, key))
    # A loop must start on a keyframe, or the receiver shows garbage until the next one.
    while out and not out[0].keyframe:
        out.pop(0)
    return out


def load_clip(path: Path, name: str) -> Clip:
    clip = Clip(name=name)
    with av.open(str(path)) as container:
        if container.streams.audio:
            clip.audio = _audio_packets(container, container.streams.audio[0])
    with av.open(str(path)) as container:
        if container.streams.video:
            clip.video = _video_packets(container, container.streams.video[0])
    if not clip.audio and not clip.video:
        raise ValueError(f"{name}: no audio or video")
    return clip


def write_tone_clip(path: Path, *, seconds: float, video: bool, tone: str) -> None:
    """A generated clip (nothing downloaded): a tone, and a moving test pattern for video."""
    out = av.open(str(path), "w", format="webm")
    audio = out.add_stream("libopus", rate=AUDIO_CLOCK)
    audio.layout = "mono"  # type: ignore[attr-defined]
    vstream = None
    if video:
        vstream = out.add_stream("libvpx", rate=15)
        vstream.width, vstream.height, vstream.pix_fmt = 320, 180, "yuv420p"  # type: ignore[attr-defined]
        vstream.options = {"g": "15", "deadline": "realtime"}  # type: ignore[attr-defined]
    with av.open(f"{tone}:duration={seconds}:sample_rate={AUDIO_CLOCK}", format="lavfi") as src:
        for frame in src.decode(audio=0):
            frame.pts = None
            out.mux(audio.encode(frame))  # type: ignore[attr-defined]
    out.mux(audio.encode(None))  # type: ignore[attr-defined]
    if vstream is not None:
        with av.open(f"testsrc=size=320x180:rate=15:duration={seconds}", format="lavfi") as src:
            for vframe in src.decode(video=0):
                out.mux(vstream.encode(vframe.reformat(format="yuv420p")))  # type: ignore[attr-defined]
        out.mux(vstream.encode(None))  # type: ignore[attr-defined]
    out.close()


# Ringback: 425 Hz, 1 s on, 3 s off (the European ring cadence). Hold: a soft two-tone loop.
DEFAULT_TONES = {
    "ringback": ("aevalsrc=0.3*sin(2*PI*425*t)*lt(mod(t\\,4)\\,1)", 4.0),
    "hold": ("aevalsrc=0.2*sin(2*PI*330*t)+0.2*sin(2*PI*(440+110*lt(mod(t\\,2)\\,1))*t)", 4.0),
}


class ClipCache:
    """One prepared copy of each file per worker process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._clips: dict[tuple[str, float], Clip] = {}
        self._lock = threading.Lock()

    def default(self, purpose: str, video: bool) -> Clip:
        tone, seconds = DEFAULT_TONES[purpose]
        path = self.folder / f"default-{purpose}{'-video' if video else ''}.webm"
        with self._lock:
            if not path.exists():
                tmp = path.with_suffix(".tmp.webm")
                write_tone_clip(tmp, seconds=seconds, video=video, tone=tone)
                tmp.replace(path)
        return self.get(path, f"default:{purpose}")

    def get(self, path: Path, name: str) -> Clip:
        key = (str(path), path.stat().st_mtime)
        with self._lock:
            clip = self._clips.get(key)
        if clip is None:
            clip = load_clip(path, name)
            with self._lock:
                self._clips[key] = clip
        return clip
