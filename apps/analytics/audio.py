"""Who spoke when in a call's recording, from the separate track of each party.

The recording (apps.media.engine.recording) is one WebM with an Opus audio track per party, its stream
metadata "title" naming the party ("customer", "agent"), timestamps aligned to the call's start. Each
party's track is decoded with PyAV to 16 kHz mono s16, placed on the call's timeline by its timestamps
(a party who joined later, or lost packets, leaves silence), and cut into 30 ms frames that WebRTC's
voice activity detector (webrtcvad, aggressiveness `VAD_MODE`) marks as speech or not. Frames far below
speech level are not speech without asking the detector (most of a call's silence).

Smoothing ("hangover"): speech frames less than `HANGOVER_SECONDS` apart are one segment (the pauses
between words), and a segment shorter than `MIN_SPEECH_SECONDS` is dropped (a click, a cough).

- talk: each party's total segment time; talk/listen ratio = the agent's talk / the customer's talk.
- overtalk: the times both the customer and an agent speak (each overlap of `MIN_OVERLAP_SECONDS` or
  more): their total and count.
- silence: the time nobody speaks between the first word and the last (waiting before anyone speaks
  and the tail after the last word are not silence); and the longest such gap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import webrtcvad

RATE = 16000
FRAME_SECONDS = 0.03
FRAME = int(RATE * FRAME_SECONDS)  # 480 samples
VAD_MODE = 2
HANGOVER_SECONDS = 0.5
MIN_SPEECH_SECONDS = 0.15
MIN_OVERLAP_SECONDS = 0.1
# RMS below this (of 32768) is not speech (about -54 dBFS): the detector is not asked.
QUIET_RMS = 64.0

Span = tuple[float, float]


@dataclass
class PartyAudio:
    party: str
    pcm: np.ndarray  # int16, RATE Hz, from the call's start
    first_audio: float | None  # seconds from the call's start to this party's first packet


@dataclass
class Decoded:
    duration: float
    parties: list[PartyAudio] = field(default_factory=list)

    @property
    def audio_seconds(self) -> float:
        return sum(len(p.pcm) for p in self.parties) / RATE


def decode(path: Path | str) -> Decoded:
    """Each party's audio track, decoded and resampled, on the call's timeline."""
    with av.open(str(path)) as container:
        duration = (container.duration or 0) / 1_000_000
        streams = [s for s in container.streams if s.type == "audio"]
        chunks: dict[int, list[tuple[int | None, np.ndarray]]] = {s.index: [] for s in streams}
        resamplers = {s.index: av.AudioResampler(format="s16", layout="mono", rate=RATE) for s in streams}
        first: dict[int, float] = {}
        for packet in container.demux(*streams):
            if packet.size == 0 and packet.pts is None:
                continue
            index = packet.stream.index
            try:
                frames = packet.decode()
            except av.FFmpegError:
                continue  # a damaged packet (a recovered recording's tail): the rest still counts
            for frame in frames:
                if not isinstance(frame, av.AudioFrame) or frame.time is None:
                    continue
                first.setdefault(index, float(frame.time))
                start: int | None = round(float(frame.time) * RATE)
                frame.pts = None  # the resampler keeps its own count; placement uses the frame's time
                for out in resamplers[index].resample(frame):
                    chunks[index].append((start, out.to_ndarray().reshape(-1)))
                    start = None  # only the first piece is placed by time; the rest follow it
        parties = []
        for s in streams:
            pcm = _place(chunks[s.index])
            duration = max(duration, len(pcm) / RATE)
            parties.append(PartyAudio(s.metadata.get("title", "") or f"track{s.index}", pcm, first.get(s.index)))
    return Decoded(duration=duration, parties=parties)


def _place(pieces: list[tuple[int | None, np.ndarray]]) -> np.ndarray:
    """Lay decoded pieces on a timeline: a piece that starts later than where the previous ended (by more
    than 20 ms: a gap in the packets) starts where its timestamp says; otherwise it follows on."""
    if not pieces:
        return np.zeros(0, dtype=np.int16)
    placed: list[tuple[int, np.ndarray]] = []
    cursor = 0
    for start, samples in pieces:
        if start is not None and start > cursor + RATE // 50:
            cursor = start
        placed.append((cursor, samples))
        cursor += len(samples)
    out = np.zeros(cursor, dtype=np.int16)
    for at, samples in placed:
        out[at : at + len(samples)] = samples
    return out


def speech_flags(pcm: np.ndarray, vad: Any | None = None) -> np.ndarray:
    """One boolean per 30 ms frame: speech or not."""
    vad = vad or webrtcvad.Vad(VAD_MODE)
    n = len(pcm) // FRAME
    if n == 0:
        return np.zeros(0, dtype=bool)
    frames = pcm[: n * FRAME].reshape(n, FRAME)
    rms = np.sqrt(np.mean(frames.astype(np.float32) ** 2, axis=1))
    flags = np.zeros(n, dtype=bool)
    for i in np.nonzero(rms >= QUIET_RMS)[0]:
        flags[i] = vad.is_speech(frames[i].tobytes(), RATE)
    return flags


def segments_of(flags: np.ndarray) -> list[Span]:
    """Speech segments (seconds) from per-frame flags, with the hangover and minimum length applied."""
    spans: list[list[int]] = []
    gap = round(HANGOVER_SECONDS / FRAME_SECONDS)
    for found in np.nonzero(flags)[0]:
        i = int(found)
        if spans and i - spans[-1][1] <= gap:
            spans[-1][1] = i + 1
        else:
            spans.append([i, i + 1])
    shortest = MIN_SPEECH_SECONDS / FRAME_SECONDS
    return [(round(a * FRAME_SECONDS, 3), round(b * FRAME_SECONDS, 3)) for a, b in spans if b - a >= shortest]


def total(spans: list[Span]) -> float:
    return round(sum(b - a for a, b in spans), 3)


def union(*groups: list[Span]) -> list[Span]:
    merged: list[list[float]] = []
    for a, b in sorted(s for group in groups for s in group):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def intersection(left: list[Span], right: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if b - a >= MIN_OVERLAP_SECONDS:
            out.append((round(a, 3), round(b, 3)))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def talk_pattern(duration: float, segments: dict[str, list[Span]]) -> dict[str, Any]:
    """`selectors.call_timeline`'s figures from each party's speech segments."""
    customer = union(*[s for p, s in segments.items() if p == "customer"])
    agents = union(*[s for p, s in segments.items() if p != "customer"])
    overtalk = intersection(customer, agents)
    spoken = union(customer, agents)
    gaps = [(a[1], b[0]) for a, b in itertools.pairwise(spoken)]
    customer_talk, agent_talk = total(customer), total(agents)
    return {
        "duration": round(duration, 3),
        "parties": [
            {"party": party, "segments": [[a, b] for a, b in spans], "talk_seconds": total(spans)}
            for party, spans in segments.items()
        ],
        "overtalk": [[a, b] for a, b in overtalk],
        "overtalk_seconds": total(overtalk),
        "overtalk_count": len(overtalk),
        "silence_seconds": total(gaps),
        "longest_silence_seconds": round(max((b - a for a, b in gaps), default=0.0), 3),
        "talk_listen_ratio": round(agent_talk / customer_talk, 3) if customer_talk else None,
    }
