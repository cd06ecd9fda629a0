"""A two-party call recording made without a call: one Opus track per party, titled by party as the
media worker titles them, each party's voice heard only during its spans (silence otherwise). The voice
is a buzz (a fundamental and its harmonics, as a vowel), which voice activity detection takes for
speech; a pure tone it mostly does not."""

from __future__ import annotations

import fractions
import math
from pathlib import Path

import av
import numpy as np

RATE, FRAME = 48000, 960  # 20 ms


def two_party_webm(
    path: Path, spans: dict[str, list[tuple[float, float]]], duration: float, tones: dict[str, int] | None = None
) -> None:
    tones = tones or {party: 210 - 90 * (n % 2) for n, party in enumerate(spans)}  # Hz: 210, 120, ...
    with av.open(str(path), "w", format="webm") as out:
        streams = {}
        for party in spans:
            stream = out.add_stream("libopus", rate=RATE)
            stream.layout = "mono"  # type: ignore[union-attr]
            stream.metadata["title"] = party
            streams[party] = stream
        for n in range(int(duration * RATE / FRAME)):
            t = n * FRAME / RATE
            for party, stream in streams.items():
                on = any(a <= t < b for a, b in spans[party])
                samples = voice(tones[party], n * FRAME) if on else np.zeros(FRAME, dtype=np.int16)
                frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
                frame.planes[0].update(samples.tobytes())
                frame.sample_rate = RATE
                frame.pts = n * FRAME
                frame.time_base = fractions.Fraction(1, RATE)
                for packet in stream.encode(frame):  # type: ignore[union-attr]
                    out.mux(packet)
        for stream in streams.values():
            for packet in stream.encode(None):  # type: ignore[union-attr]
                out.mux(packet)


def voice(f0: int, first_sample: int) -> np.ndarray:
    """20 ms of a buzz at `f0` Hz with its harmonics up to 4 kHz (amplitude 1/k)."""
    t = (first_sample + np.arange(FRAME)) / RATE
    wave = sum(np.sin(2 * math.pi * f0 * k * t) / k for k in range(1, 4000 // f0 + 1))
    return (6000 * wave / 2.5).clip(-32000, 32000).astype(np.int16)


def loudness(data: bytes, start: float, end: float) -> float:
    """The mean absolute sample of a one-track WebM's audio between two times (seconds)."""
    import io

    total, count = 0.0, 0
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            at = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
            if start <= at < end:
                samples = frame.to_ndarray() if hasattr(frame, "to_ndarray") else None
                if samples is not None:
                    total += float(abs(samples).sum())
                    count += samples.size
    return total / count if count else 0.0
