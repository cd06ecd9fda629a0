"""Speech-like audio for the analytics tests and benchmark, from the committed fixtures (made once with
espeak-ng: tests/analytics/fixtures/*.wav, 16 kHz mono): a schedule of when each party speaks, played
by an aiortc track in a real call, or written straight into a WebM laid out as the media worker's
recordings are (one Opus track per party, titled with the party)."""

from __future__ import annotations

import asyncio
import fractions
import time
import wave
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

FIXTURES = Path(__file__).parent / "fixtures"
Schedule = list[tuple[float, float]]  # when a party speaks, seconds


def speech(party: str, rate: int = 48000) -> np.ndarray:
    """The fixture's speech for `party` ("agent" or "customer"), int16 mono at `rate`."""
    with wave.open(str(FIXTURES / f"{party}.wav")) as handle:
        pcm = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
        source = handle.getframerate()
    if source == rate:
        return pcm.copy()
    # Linear interpolation is enough for a test signal's resampling.
    n = int(len(pcm) * rate / source)
    return np.interp(np.arange(n) * source / rate, np.arange(len(pcm)), pcm.astype(np.float32)).astype(np.int16)


def render(party: str, schedule: Schedule, seconds: float, rate: int = 48000) -> np.ndarray:
    """`seconds` of audio: the party's speech (looped) inside each span of `schedule`, silence outside."""
    voice = speech(party, rate)
    out = np.zeros(int(seconds * rate), dtype=np.int16)
    for start, end in schedule:
        a, b = int(start * rate), min(len(out), int(end * rate))
        need = b - a
        loops = np.tile(voice, need // len(voice) + 1)[:need]
        out[a:b] = loops
    return out


class ScheduledSpeechTrack(MediaStreamTrack):
    """A microphone that speaks on a schedule measured from `clock["t0"]` (time.monotonic), shared by both
    parties and set once both are connected (silence until then), so the parties' timing relative to
    each other is known whenever each one started sending."""

    kind = "audio"

    def __init__(self, party: str, schedule: Schedule, clock: dict[str, float], seconds: float) -> None:
        super().__init__()
        self._audio = render(party, schedule, seconds + 5)
        self._clock = clock
        self._offset: int | None = None  # samples of the schedule at this track's pts 0
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / 48000 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if self._offset is None and self._clock["t0"] != float("inf"):
            self._offset = round((self._start - self._clock["t0"]) * 48000)
        chunk = np.zeros(960, dtype=np.int16)
        if self._offset is not None:
            a = self._offset + self._pts
            if a >= 0:
                found = self._audio[a : a + 960]
                chunk[: len(found)] = found
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(chunk.tobytes())
        frame.sample_rate = 48000
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, 48000)
        self._pts += 960
        return frame


def write_recording(path: Path, schedules: dict[str, Schedule], seconds: float) -> Path:
    """A WebM as the media worker writes it: an Opus track per party (stream title = party), 48 kHz."""
    with av.open(str(path), "w", format="webm") as out:
        streams = {}
        for party in schedules:
            stream = out.add_stream("libopus", rate=48000)
            stream.layout = "mono"  # type: ignore[attr-defined]
            stream.metadata["title"] = party
            streams[party] = stream
        audio = {party: render(party, spans, seconds) for party, spans in schedules.items()}
        step = 960
        for at in range(0, int(seconds * 48000) - step + 1, step):
            for party, stream in streams.items():
                frame = av.AudioFrame(format="s16", layout="mono", samples=step)
                frame.planes[0].update(audio[party][at : at + step].tobytes())
                frame.sample_rate = 48000
                frame.pts = at
                frame.time_base = fractions.Fraction(1, 48000)
                for packet in stream.encode(frame):  # type: ignore[attr-defined]
                    out.mux(packet)
        for stream in streams.values():
            for packet in stream.encode(None):  # type: ignore[attr-defined]
                out.mux(packet)
    return path
