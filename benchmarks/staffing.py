"""Staffing benchmark (issue 15). Run by hand: `.venv/bin/python benchmarks/staffing.py`.

A day of 96 fifteen-minute intervals (a daily curve of 20 to 420 contacts an interval, AHT 240-330 s,
80 % in 20 s, occupancy at most 85 %, shrinkage 30 %): the requirement of every interval by Erlang C,
and by Erlang A (mean patience 120 s), as `POST /api/v1/wfm/staffing` computes them (the selector, no
HTTP). Target: < 50 ms for the 96 intervals. Floor, same run: the Erlang B recursion alone for the
agents found (the arithmetic every method needs at least). 50 runs each, p50 / p95.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import pct  # noqa: E402


def day() -> list[dict[str, float]]:
    out = []
    for i in range(96):
        hour = i / 4
        shape = max(0.0, math.sin(math.pi * (hour - 6) / 15)) if 6 <= hour <= 21 else 0.0
        out.append({"volume": round(20 + 400 * shape), "aht_seconds": 240 + 90 * shape})
    return out


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccaas.settings.test")
    import django

    django.setup()
    from apps.wfm.erlang import erlang_b
    from apps.wfm.selectors import staffing_request

    intervals = day()
    body = {"interval_minutes": 15, "target_service_level": 80, "target_seconds": 20, "max_occupancy": 85}
    body["shrinkage"] = 30
    results: dict[str, dict[str, float]] = {}
    for name, extra in (("erlang_c", {}), ("erlang_a", {"patience_seconds": 120})):
        times, found = [], []
        for _ in range(50):
            t0 = time.perf_counter()
            found = staffing_request({**body, **extra, "intervals": intervals})
            times.append(time.perf_counter() - t0)
        floor = []
        for _ in range(50):
            t0 = time.perf_counter()
            for f in found:
                erlang_b(f.offered_erlangs, f.agents_raw)
            floor.append(time.perf_counter() - t0)
        results[name] = {
            "p50_ms": round(pct(times, 50) * 1000, 2),
            "p95_ms": round(pct(times, 95) * 1000, 2),
            "floor_erlang_b_p50_ms": round(pct(floor, 50) * 1000, 2),
            "ratio_p95_to_floor": round(pct(times, 95) / pct(floor, 50), 1),
            "peak_agents_scheduled": max(f.agents_scheduled for f in found),
        }
    print(
        json.dumps(
            {"machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine()}, **results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
