"""Interaction analytics benchmark (issue 15). Run by hand, one at a time with the other benchmarks:
`flock /tmp/bench.lock .venv/bin/python benchmarks/analytics.py [--minutes 5]`.

The analysis of a 5-minute two-party call recording, on one core (this process pinned to one CPU):
decoding each party's Opus track to 16 kHz, voice activity detection, talk / silence / overtalk, and
PocketSphinx keyword spotting of 12 phrases over each party's speech, as the analytics worker runs it
(`apps.analytics.analysis.analyse_recording`, the part of an interaction's analysis that grows with the
call). Target: < 0.2 x real time (< 60 s of CPU for 5 minutes). Floor, same run: the bare decode of the
file with PyAV (demux and Opus decode, nothing else). The recording is laid out as the media worker
writes one (WebM, an Opus track per party titled with it), written here from the committed speech
fixtures in turns (the worker copies Opus packets into the file without transcoding, so the file is the
same kind); CPU time is the process's own (time.process_time), best of 3 runs after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHRASES = ["hello", "welcome", "refund", "cancel", "order", "subscription", "thank you", "help", "manager",
           "complaint", "good morning", "goodbye"]  # fmt: skip


def turns(seconds: float) -> dict[str, list[tuple[float, float]]]:
    """A conversation: the customer and the agent in turns of 4-9 s, a pause of 0.5-2.5 s between turns,
    an interruption (1 s of overtalk) every fifth turn."""
    out: dict[str, list[tuple[float, float]]] = {"customer": [], "agent": []}
    at, n = 1.0, 0
    while at < seconds - 1:
        party = "customer" if n % 2 == 0 else "agent"
        length = 4 + (n * 7 % 6)
        end = min(seconds - 0.5, at + length)
        out[party].append((at, end))
        pause = 0.5 + (n * 3 % 5) * 0.5
        at = end - 1.0 if n % 5 == 4 else end + pause
        n += 1
    return out


def bare_decode(path: Path) -> None:
    import av

    with av.open(str(path)) as container:
        for _frame in container.decode(*container.streams.audio):
            pass


def measure(fn: object, runs: int = 3) -> dict[str, float]:
    cpu, wall = [], []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        fn()  # type: ignore[operator]
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"cpu_s": round(min(cpu), 3), "wall_s": round(min(wall), 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # one core
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.test")
    import django

    django.setup()
    from apps.analytics import audio
    from apps.analytics.analysis import analyse_recording
    from apps.analytics.speech import NoSpeechEngine, PocketSphinxEngine
    from tests.analytics.synth import write_recording

    seconds = args.minutes * 60
    folder = Path(tempfile.mkdtemp(prefix="bench-analytics-"))
    path = write_recording(folder / "call.webm", turns(seconds), seconds)
    engine = PocketSphinxEngine()
    analyse_recording(path, PHRASES, engine)  # warm-up: the model loads once per worker process

    floor = measure(lambda: bare_decode(path))
    decoded = audio.decode(path)
    parts = {
        "decode_and_resample": measure(lambda: audio.decode(path)),
        "vad": measure(lambda: [audio.segments_of(audio.speech_flags(p.pcm)) for p in decoded.parties]),
        "talk_pattern_only (none engine)": measure(lambda: analyse_recording(path, PHRASES, NoSpeechEngine())),
    }
    full = measure(lambda: analyse_recording(path, PHRASES, engine))
    found, duration = analyse_recording(path, PHRASES, engine)
    call = found["call"]
    print(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine(), "pinned": 1},
                "recording": {"seconds": round(duration, 1), "bytes": path.stat().st_size, "parties": 2},
                "full_analysis": full,
                "real_time_factor": round(full["cpu_s"] / duration, 4),
                "target": "< 0.2",
                "floor_bare_decode": floor,
                "ratio_to_floor": round(full["cpu_s"] / floor["cpu_s"], 1),
                "parts": parts,
                "found": {
                    "talk_seconds": {p["party"]: p["talk_seconds"] for p in call["parties"]},
                    "overtalk": [call["overtalk_count"], call["overtalk_seconds"]],
                    "silence_seconds": call["silence_seconds"],
                    "spotted": len(found["spotted"]),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
