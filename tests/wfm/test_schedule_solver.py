"""The schedule solver and the adherence arithmetic, on plain data (no database): a schedule covers a requirement
(checked from its result: each interval's agents at work against the requirement), inside every agent's
windows and contract, with its breaks and lunch; a requirement beyond the agents is said per interval;
adherence and conformance of a hand-made day are the numbers worked out by hand."""

from __future__ import annotations

import itertools
import math

from apps.wfm import adherence as adh
from apps.wfm.schedule import DAY, Agent, Contract, Window, break_plan, build, coverage, requirement


def shaped(days: int, peak: int) -> list[int]:
    """Agents needed per 15 minutes: none at night, a peak mid-afternoon, weekends at 40 %."""
    out = []
    for d in range(days):
        for k in range(96):
            hour = k / 4
            base = 0 if not 9 <= hour < 19 else math.sin(math.pi * (hour - 9) / 10)
            out.append(round(base * peak * (1 if d % 7 < 5 else 0.4)))
    return out


def check(agents: list[Agent], result_shifts: list, days: int) -> None:
    by_id = {a.agent_id: a for a in agents}
    per_agent_week: dict[tuple[int, int], list[int]] = {}
    for s in result_shifts:
        a = by_id[s.agent_id]
        day, begin, finish = s.start // DAY, s.start % DAY, s.start % DAY + (s.end - s.start)
        # Inside one of the agent's windows of that weekday, a length the contract knows.
        assert any(w.weekday == day % 7 and w.start <= begin and finish <= w.end for w in a.windows), s
        assert s.end - s.start in a.contract.shift_lengths
        per_agent_week.setdefault((s.agent_id, day // 7), []).append(s.end - s.start)
        # Its breaks and lunch: as many as the contract says, inside the shift, apart from one another.
        lunch, breaks = break_plan(s.end - s.start, a.contract)
        kinds = sorted(x.kind for x in s.activities)
        assert kinds == sorted(["lunch"] * (1 if lunch else 0) + ["break"] * breaks), (s, kinds)
        acts = sorted(s.activities, key=lambda x: x.start)
        assert all(s.start < x.start and x.end < s.end for x in acts)
        assert all(p.end <= n.start for p, n in itertools.pairwise(acts))
    for (agent_id, _week), lengths in per_agent_week.items():
        c = by_id[agent_id].contract
        assert len(lengths) <= c.max_days_week
        assert c.min_minutes_week <= sum(lengths) <= c.max_minutes_week
    # One shift a day at most.
    days_worked = [(s.agent_id, s.start // DAY) for s in result_shifts]
    assert len(days_worked) == len(set(days_worked))


def test_a_week_is_covered_within_availability_and_contracts() -> None:
    full = Contract(min_minutes_week=2400, max_minutes_week=2400, shift_lengths=(480,), max_days_week=5)
    part = Contract(min_minutes_week=1200, max_minutes_week=1800, shift_lengths=(240, 360), max_days_week=5)
    weekdays = tuple(Window(d, 8 * 60, 20 * 60) for d in range(5))
    everyday = tuple(Window(d, 7 * 60, 22 * 60) for d in range(7))
    agents = [Agent(i, weekdays, full) for i in range(10)] + [Agent(100 + i, everyday, part) for i in range(10)]
    required = shaped(7, 9)
    result = build(agents, required, days=7, time_limit=10)
    check(agents, result.shifts, 7)
    # Covered from the result itself: every interval has at least the agents it needs at work.
    counted = coverage(result.shifts, len(required), 15)
    assert counted == result.scheduled
    short = [(k, r, c) for k, (r, c) in enumerate(zip(required, counted, strict=True)) if c < r]
    assert short == [], short[:10]
    assert result.status in ("OPTIMAL", "FEASIBLE", "GREEDY")


def test_what_cannot_be_covered_is_said_per_interval() -> None:
    # Two agents who may only work mornings; the afternoon needs three.
    contract = Contract(min_minutes_week=0, max_minutes_week=2400, shift_lengths=(240,), max_days_week=5)
    agents = [Agent(i, (Window(0, 8 * 60, 12 * 60),), contract) for i in range(2)]
    required = [0] * (7 * 96)
    for k in range(8 * 4, 16 * 4):  # Monday 08:00-16:00
        required[k] = 1 if k < 12 * 4 else 3
    result = build(agents, required, days=7, time_limit=5)
    assert len(result.shifts) == 2
    under = result.under
    assert all(under[k] == 3 for k in range(12 * 4, 16 * 4))  # nobody may work the afternoon
    # The morning: two agents, each with one 15-minute break, placed apart so one agent always works.
    assert all(under[k] == 0 for k in range(8 * 4, 12 * 4))
    breaks = sorted(a.start for s in result.shifts for a in s.activities)
    assert len(breaks) == 2 and breaks[0] != breaks[1]


def test_breaks_go_where_there_is_slack() -> None:
    contract = Contract(min_minutes_week=480, max_minutes_week=480, shift_lengths=(480,), max_days_week=1)
    agents = [Agent(1, (Window(0, 9 * 60, 17 * 60),), contract)]
    required = [0] * (7 * 96)
    for k in range(9 * 4, 17 * 4):
        required[k] = 1
    for k in range(13 * 4, 14 * 4):  # the one hour nobody is needed: 13:00-14:00
        required[k] = 0
    result = build(agents, required, days=7, time_limit=5)
    (shift,) = result.shifts
    lunch = next(a for a in shift.activities if a.kind == "lunch")
    assert 13 * 60 <= lunch.start and lunch.end <= 14 * 60


def test_requirement_by_erlang_c() -> None:
    # 100 contacts in 30 minutes at 180 s need 14 agents for 80 % in 20 s (tests/wfm/test_staffing.py).
    assert requirement([(100, 180), (0, None), (100, None)], 30, target_service_level=0.8, target_seconds=20,
                       default_aht=180) == [14, 0, 14]  # fmt: skip


def test_adherence_and_conformance_of_a_day() -> None:
    h = 3600.0
    # Shift 09:00-17:00, lunch 12:00-12:30, a break 15:00-15:15.
    schedule = adh.work_spans(
        9 * h, 17 * h, [adh.Span(12 * h, 12.5 * h, "lunch"), adh.Span(15 * h, 15.25 * h, "break")]
    )
    presence = [
        adh.Span(9.25 * h, 12 * h, "available"),  # 15 minutes late: an exception of 15 min
        adh.Span(12 * h, 12.75 * h, "away"),  # lunch 15 minutes long: an exception of 15 min
        adh.Span(12.75 * h, 15.25 * h, "available"),  # worked through the break: 15 min
        adh.Span(15.25 * h, 17.5 * h, "wrap_up"),  # stayed 30 minutes after the shift: not an exception
    ]
    (f,) = adh.figures(schedule, presence, 0, 24 * h, 24 * h)
    assert f.scheduled == 8 * h
    assert f.exceptions == 45 * 60
    assert f.scheduled_work == 8 * h - 45 * 60
    assert f.worked == (2.75 + 2.5 + 2.25) * h
    assert f.adherence == round(100 * (1 - 0.75 / 8), 2) == 90.62
    assert f.conformance == round(100 * 7.5 / 7.25, 2) == 103.45
    # Per hour: 09:00-10:00 has the late start; 12:00-13:00 the long lunch.
    hours = adh.figures(schedule, presence, 0, 24 * h, h)
    assert hours[9].exceptions == 15 * 60 and hours[12].exceptions == 15 * 60 and hours[15].exceptions == 15 * 60
    assert hours[10].adherence == 100.0 and hours[20].adherence is None
    # Out of adherence now: at 12:40 the agent has been on an overlong lunch since 12:30.
    assert adh.out_of_adherence(schedule, presence, 12 * h + 40 * 60, 24 * h) == 12.5 * h
    assert adh.out_of_adherence(schedule, presence, 11 * h, 24 * h) is None
