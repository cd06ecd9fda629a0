"""Adherence and conformance: an agent's presence history against their published schedule. Pure functions over
plain data (times in seconds since the epoch); `selectors` reads the rows.

Definitions (Genesys WEM; also in the metrics dictionary, docs/metrics.md):
- Scheduled time: the time of the agent's shifts (work and off-queue activities alike).
- An exception is scheduled time in which the agent's presence does not match the activity: work (the shift
  outside its activities) expects `available` or `wrap_up`; an off-queue activity (break, lunch, meeting,
  training) expects `away` or `offline`. No presence row means `offline`.
- Adherence = 1 - exceptions / scheduled time.
- Conformance = worked / scheduled work time, where worked is all the time available or in wrap-up in the
  period, inside the shifts or not (so it can exceed 100 %), and scheduled work time is the shifts' time
  less their activities.
Time after `now` is not counted (today's figures are so far).
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

ON_QUEUE = frozenset({"available", "wrap_up"})
OFF_QUEUE = frozenset({"away", "offline"})
WORK = "work"


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    what: str  # an activity ("work", "break", ...) or a presence state
    reason: str = ""


@dataclass
class Figures:
    scheduled: float = 0.0
    exceptions: float = 0.0
    scheduled_work: float = 0.0
    worked: float = 0.0

    def add(self, other: Figures) -> None:
        self.scheduled += other.scheduled
        self.exceptions += other.exceptions
        self.scheduled_work += other.scheduled_work
        self.worked += other.worked

    @property
    def adherence(self) -> float | None:
        """Percent, or None without scheduled time."""
        return round(100 * (1 - self.exceptions / self.scheduled), 2) if self.scheduled else None

    @property
    def conformance(self) -> float | None:
        return round(100 * self.worked / self.scheduled_work, 2) if self.scheduled_work else None

    def as_json(self) -> dict[str, float | None]:
        return {
            "scheduled_seconds": round(self.scheduled),
            "exception_seconds": round(self.exceptions),
            "scheduled_work_seconds": round(self.scheduled_work),
            "worked_seconds": round(self.worked),
            "adherence": self.adherence,
            "conformance": self.conformance,
        }


def expected(activity: str) -> frozenset[str]:
    return ON_QUEUE if activity == WORK else OFF_QUEUE


def _at(spans: Sequence[Span], starts: list[float], moment: float) -> Span | None:
    i = bisect_right(starts, moment) - 1
    if i >= 0 and spans[i].start <= moment < spans[i].end:
        return spans[i]
    return None


def pieces(
    schedule: Sequence[Span], presence: Sequence[Span], start: float, end: float
) -> list[tuple[float, float, str | None, str]]:
    """[start, end) cut where the schedule or the presence changes: (from, to, activity or None, state)."""
    schedule = sorted(schedule, key=lambda s: s.start)
    presence = sorted(presence, key=lambda s: s.start)
    cuts = {start, end}
    for s in (*schedule, *presence):
        for t in (s.start, s.end):
            if start < t < end:
                cuts.add(t)
    points = sorted(cuts)
    s_starts = [s.start for s in schedule]
    p_starts = [p.start for p in presence]
    out = []
    for a, b in itertools.pairwise(points):
        act = _at(schedule, s_starts, a)
        state = _at(presence, p_starts, a)
        out.append((a, b, act.what if act else None, state.what if state else "offline"))
    return out


def figures(schedule: Sequence[Span], presence: Sequence[Span], start: float, end: float, step: float) -> list[Figures]:
    """One agent's figures per `step` seconds from `start` to `end` (the last bucket may be shorter)."""
    count = max(1, int(-(-(end - start) // step)))
    out = [Figures() for _ in range(count)]
    for a, b, act, state in pieces(schedule, presence, start, end):
        k = int((a - start) // step)
        while a < b:
            edge = min(b, start + (k + 1) * step)
            f, length = out[k], edge - a
            if act is not None:
                f.scheduled += length
                if state not in expected(act):
                    f.exceptions += length
                if act == WORK:
                    f.scheduled_work += length
            if state in ON_QUEUE:
                f.worked += length
            a, k = edge, k + 1
    return out


def out_of_adherence(schedule: Sequence[Span], presence: Sequence[Span], now: float, look_back: float) -> float | None:
    """Since when the agent has been out of adherence without a break (None: in adherence now, or not
    scheduled now), looking back at most `look_back` seconds."""
    run_start = None
    for a, _b, act, state in pieces(schedule, presence, now - look_back, now + 1e-6):
        bad = act is not None and state not in expected(act)
        if bad and run_start is None:
            run_start = a
        elif not bad:
            run_start = None
    return run_start


def work_spans(shift_start: float, shift_end: float, activities: Sequence[Span]) -> list[Span]:
    """A shift as spans: its activities, and work in between."""
    out, at = [], shift_start
    for a in sorted(activities, key=lambda x: x.start):
        if a.start > at:
            out.append(Span(at, a.start, WORK))
        out.append(a)
        at = max(at, a.end)
    if shift_end > at:
        out.append(Span(at, shift_end, WORK))
    return out
