"""Schedules: shifts with breaks and lunches per agent that cover a requirement (agents needed per interval),
within each agent's weekly availability and contract. Pure functions over plain data (no database).

Time is counted in minutes from the period's first local midnight (a wall-clock day is 1440 minutes; the
caller turns minutes into the tenant's local date and time). Interval k is [k x step, (k + 1) x step).

1. Shifts (OR-Tools CP-SAT, one model per week, with a time limit): a boolean per agent, day, start (every
   `start_step` minutes) and contract length whose shift fits inside one of the agent's windows that weekday;
   at most one shift a day, at most `max_days_week` days and between `min_minutes_week` and `max_minutes_week`
   of shifts a week. A shift counts fully at its first and last hour and as (length - its breaks) / length
   in between, where its breaks will go (scaled to integers). Objective: under-coverage first (weight 1000),
   then over-coverage.
2. Breaks and lunch (greedy): a lunch (`lunch_minutes`) in the middle of shifts of 6 hours or more, and one
   break (`break_minutes`) per 4 hours, each placed in its window where coverage has the most slack
   (scheduled - required), at least an hour from the shift's ends and from each other when it can.
3. Coverage, counted from the result: agents at work (in a shift, not on a break or lunch) per interval
   against the requirement, and the shortfall per interval when the agents cannot cover it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .erlang import staffing

DAY = 1440
UNDER_WEIGHT = 1000
SCALE = 8  # a shift's coverage in eighths of an agent (the breaks' expected share)
GAP = 60  # minutes kept between a break and the shift's ends or another break, when it can be


@dataclass(frozen=True)
class Window:
    """The agent may work [start, end) minutes after midnight of `weekday` (0 Monday)."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class Contract:
    min_minutes_week: int = 0
    max_minutes_week: int = 2400
    shift_lengths: tuple[int, ...] = (480,)
    max_days_week: int = 5
    break_minutes: int = 15
    lunch_minutes: int = 30


@dataclass(frozen=True)
class Agent:
    agent_id: int
    windows: tuple[Window, ...]
    contract: Contract


@dataclass
class Activity:
    kind: str  # break | lunch | meeting | training
    start: int
    end: int


@dataclass
class Shift:
    agent_id: int
    start: int
    end: int
    activities: list[Activity] = field(default_factory=list)


@dataclass
class Result:
    shifts: list[Shift]
    required: list[int]
    scheduled: list[int]
    status: str  # OPTIMAL | FEASIBLE | ... per week, the worst
    seconds: float
    warnings: list[str]

    @property
    def under(self) -> list[int]:
        return [max(0, r - s) for r, s in zip(self.required, self.scheduled, strict=True)]

    @property
    def over(self) -> list[int]:
        return [max(0, s - r) for r, s in zip(self.required, self.scheduled, strict=True)]


def requirement(
    intervals: Sequence[tuple[float, float | None]],
    interval_minutes: int,
    *,
    target_service_level: float,
    target_seconds: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    default_aht: float = 300.0,
) -> list[int]:
    """Agents to schedule per interval (Erlang C, `erlang.staffing`) from (volume, handle time) pairs; an
    interval with contacts but no handle time in the history takes `default_aht`."""
    memo: dict[tuple[float, float], int] = {}
    out = []
    for volume, aht in intervals:
        if volume <= 0:
            out.append(0)
            continue
        key = (round(volume, 2), round(aht or default_aht, 1))
        if key not in memo:
            memo[key] = staffing(
                volume=key[0],
                interval_minutes=interval_minutes,
                aht_seconds=key[1],
                target_service_level=target_service_level,
                target_seconds=target_seconds,
                max_occupancy=max_occupancy,
                shrinkage=shrinkage,
            ).agents_scheduled
        out.append(memo[key])
    return out


def break_plan(length: int, contract: Contract) -> tuple[int, int]:
    """(lunch minutes, number of breaks) for a shift of `length` minutes."""
    lunch = contract.lunch_minutes if length >= 360 else 0
    return lunch, length // 240


def _candidates(agent: Agent, day: int, step: int) -> list[tuple[int, int]]:
    """(start minute of the period, length) of every shift the agent may work on `day`."""
    weekday = day % 7
    out = set()
    for w in agent.windows:
        if w.weekday != weekday:
            continue
        for length in agent.contract.shift_lengths:
            first = math.ceil(w.start / step) * step
            for s in range(first, w.end - length + 1, step):
                out.add((day * DAY + s, length))
    return sorted(out)


def _coverage_coefs(start: int, length: int, contract: Contract, interval: int) -> list[tuple[int, int]]:
    """(interval index, coverage in SCALE-ths) of a shift, its breaks spread over its middle."""
    lunch, breaks = break_plan(length, contract)
    off = lunch + breaks * contract.break_minutes
    inner = max(0, length - 2 * GAP)
    share = SCALE if not off or not inner else max(0, round(SCALE * (inner - off) / inner))
    out = []
    for k in range(start // interval, math.ceil((start + length) / interval)):
        t0 = k * interval
        middle = start + GAP <= t0 and t0 + interval <= start + length - GAP
        out.append((k, share if middle else SCALE))
    return out


def _solve_week(
    agents: Sequence[Agent],
    required: list[int],
    first_day: int,
    days: int,
    interval: int,
    step: int,
    time_limit: float,
    workers: int,
    warnings: list[str],
) -> tuple[list[tuple[int, int, int]], str]:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    per_interval: dict[int, tuple[list[Any], list[int]]] = {}  # interval: (shift variables, coverage)
    chosen: list[tuple[Any, int, int, int]] = []  # (var, agent, start, length)
    day_works: list[tuple[Any, int, int]] = []
    under_over: list[tuple[Any, Any, Any, int, list[Any], list[int]]] = []  # cover, under, over, need, ...
    for agent in agents:
        week_vars: list[Any] = []
        week_minutes: list[int] = []
        worked_days = []
        for day in range(first_day, first_day + days):
            options = _candidates(agent, day, step)
            if not options:
                continue
            day_vars = []
            for start, length in options:
                var = model.new_bool_var("")
                day_vars.append(var)
                chosen.append((var, agent.agent_id, start, length))
                week_vars.append(var)
                week_minutes.append(length)
                for k, coef in _coverage_coefs(start, length, agent.contract, interval):
                    pv, pc = per_interval.setdefault(k, ([], []))
                    pv.append(var)
                    pc.append(coef)
            works = model.new_bool_var("")
            model.add(cp_model.LinearExpr.sum(day_vars) == works)
            worked_days.append(works)
            day_works.append((works, agent.agent_id, day))
        c = agent.contract
        if not worked_days:
            if c.min_minutes_week:
                warnings.append(
                    _("Agent %(a)d: no availability in week %(w)d.") % {"a": agent.agent_id, "w": first_day // 7 + 1}
                )
            continue
        model.add(cp_model.LinearExpr.sum(worked_days) <= c.max_days_week)
        total = cp_model.LinearExpr.weighted_sum(week_vars, week_minutes)
        model.add(total <= c.max_minutes_week)
        # The most the availability allows this week; a minimum above it is lowered to it (and said).
        best = sorted(
            (
                max((ln for _s, ln in _candidates(agent, d, step)), default=0)
                for d in range(first_day, first_day + days)
            ),
            reverse=True,
        )[: c.max_days_week]
        reachable = min(sum(best), c.max_minutes_week)
        floor = c.min_minutes_week
        if floor > reachable:
            warnings.append(
                _("Agent %(a)d: only %(m)d of the contract's %(f)d minutes fit the availability in week %(w)d.")
                % {"a": agent.agent_id, "m": reachable, "f": floor, "w": first_day // 7 + 1}
            )
            floor = reachable
        if floor:
            model.add(total >= floor)
    objective = []
    weights = []
    last = min(len(required), (first_day + days) * DAY // interval)
    for k in range(first_day * DAY // interval, last):
        need = required[k] * SCALE
        vs, cs = per_interval.get(k, ([], []))
        cover = model.new_int_var(0, SCALE * len(vs), "")
        model.add(cover == cp_model.LinearExpr.weighted_sum(vs, cs))
        under = model.new_int_var(0, need, "")
        over = model.new_int_var(0, SCALE * len(vs) + 1, "")
        model.add(cover + under - over == need)
        objective += [under, over]
        weights += [UNDER_WEIGHT, 1]
        under_over.append((cover, under, over, need, vs, cs))
    # The greedy schedule as the solver's first solution (every variable hinted, so it starts from it).
    hint = _greedy(agents, required, first_day, days, interval, step)
    value: dict[int, int] = {}
    for var, agent_id, start, length in chosen:
        value[id(var)] = int((agent_id, start, length) in hint)
        model.add_hint(var, value[id(var)])
    busy = {(agent_id, start // DAY) for agent_id, start, _ln in hint}
    for var, agent_id, day in day_works:
        model.add_hint(var, int((agent_id, day) in busy))
    for cover, under, over, need, vs, cs in under_over:
        got = sum(cf * value[id(v)] for v, cf in zip(vs, cs, strict=True))
        model.add_hint(cover, got)
        model.add_hint(under, max(0, need - got))
        model.add_hint(over, max(0, got - need))
    model.minimize(cp_model.LinearExpr.weighted_sum(objective, weights))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    # The agents of one profile are interchangeable: finding that symmetry costs seconds and buys little here.
    solver.parameters.symmetry_level = 0
    solver.parameters.cp_model_probing_level = 0  # seconds of probing on 30,000 shift variables, for nothing
    solver.parameters.log_search_progress = bool(os.environ.get("WFM_SOLVER_LOG"))
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE and any(a.contract.min_minutes_week for a in agents):
        # Contracts that cannot all be met (lengths that never add up to the minimum): drop the minimums.
        warnings.append(
            _("Week %(w)d: contract minimums dropped (no schedule meets them all).") % {"w": first_day // 7 + 1}
        )
        relaxed = [Agent(a.agent_id, a.windows, _without_minimum(a.contract)) for a in agents]
        return _solve_week(relaxed, required, first_day, days, interval, step, time_limit, workers, warnings)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Out of time before the solver had a schedule of its own: the greedy one it was given.
        return sorted(hint), "GREEDY"
    picked = [(agent_id, start, length) for var, agent_id, start, length in chosen if solver.boolean_value(var)]
    # The model counts breaks as a share of each shift's middle; placed, they may fall otherwise. Keep the
    # greedy start when, with its breaks placed, it covers better (under-coverage first, then over).
    contracts = {a.agent_id: a.contract for a in agents}
    if _exact(sorted(hint), required, interval, contracts) < _exact(picked, required, interval, contracts):
        return sorted(hint), "GREEDY"
    return picked, solver.status_name(status)


def _exact(
    picked: list[tuple[int, int, int]], required: list[int], interval: int, contracts: dict[int, Contract]
) -> tuple[int, int]:
    """(under, over) of shifts once their breaks are placed."""
    shifts = [Shift(agent_id, start, start + length) for agent_id, start, length in picked]
    place_breaks(shifts, required, interval, contracts)
    scheduled = coverage(shifts, len(required), interval)
    under = sum(max(0, r - c) for r, c in zip(required, scheduled, strict=True))
    return under, sum(max(0, c - r) for r, c in zip(required, scheduled, strict=True))


def _greedy(
    agents: Sequence[Agent], required: list[int], first_day: int, days: int, interval: int, step: int
) -> set[tuple[int, int, int]]:
    """A first schedule for the solver to improve: agent by agent (the least available first), the shifts that
    cover the most of what is still needed, up to the contract's days and minutes (and at least its minimum)."""
    need = [r * SCALE for r in required]
    picked: set[tuple[int, int, int]] = set()
    options = {a.agent_id: {d: _candidates(a, d, step) for d in range(first_day, first_day + days)} for a in agents}
    flexibility = {a.agent_id: sum(len(v) for v in options[a.agent_id].values()) for a in agents}
    coefs: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    for a in sorted(agents, key=lambda x: (flexibility[x.agent_id], x.agent_id)):
        c, minutes = a.contract, 0
        used_days: set[int] = set()
        while len(used_days) < c.max_days_week:
            best, best_gain = None, 0.0
            for day, cands in options[a.agent_id].items():
                if day in used_days:
                    continue
                for start, length in cands:
                    if minutes + length > c.max_minutes_week:
                        continue
                    key = (a.agent_id, start, length)
                    if key not in coefs:
                        coefs[key] = _coverage_coefs(start, length, c, interval)
                    gain = 1e-3 * length + sum(
                        min(cf, need[k]) for k, cf in coefs[key] if 0 <= k < len(need) and need[k] > 0
                    )  # among equal gains, the longer shift (contract minimums)
                    if gain > best_gain:
                        best, best_gain = (day, start, length), gain
            if best is None or (best_gain < 1 and minutes >= c.min_minutes_week):
                break
            day, start, length = best
            used_days.add(day)
            minutes += length
            picked.add((a.agent_id, start, length))
            for k, cf in coefs[(a.agent_id, start, length)]:
                if 0 <= k < len(need):
                    need[k] -= cf
    # Then drop the shifts that only over-cover (their agent keeping the contract's minimum).
    minutes_of: dict[int, int] = {}
    for agent_id, _start, length in picked:
        minutes_of[agent_id] = minutes_of.get(agent_id, 0) + length
    floor = {a.agent_id: a.contract.min_minutes_week for a in agents}
    for key in sorted(picked, key=lambda x: (-x[2], x)):
        agent_id, _start, length = key
        if minutes_of[agent_id] - length < floor[agent_id]:
            continue
        if all(need[k] + cf <= 0 for k, cf in coefs[key] if 0 <= k < len(need)):
            picked.discard(key)
            minutes_of[agent_id] -= length
            for k, cf in coefs[key]:
                if 0 <= k < len(need):
                    need[k] += cf
    return picked


def _without_minimum(c: Contract) -> Contract:
    return Contract(0, c.max_minutes_week, c.shift_lengths, c.max_days_week, c.break_minutes, c.lunch_minutes)


def coverage(shifts: Sequence[Shift], intervals: int, interval: int) -> list[int]:
    """Agents at work per interval: in a shift, not on one of its activities (an interval counts an agent who
    works any part of it in proportion, rounded down at the end: a 15-minute break takes a 15-minute interval)."""
    minutes = [0] * intervals
    for s in shifts:
        for a, b in _work_parts(s):
            for k in range(a // interval, min(intervals, math.ceil(b / interval))):
                lo, hi = max(a, k * interval), min(b, (k + 1) * interval)
                if hi > lo and k >= 0:
                    minutes[k] += hi - lo
    return [m // interval for m in minutes]


def _work_parts(s: Shift) -> list[tuple[int, int]]:
    parts, at = [], s.start
    for a in sorted(s.activities, key=lambda x: x.start):
        if a.start > at:
            parts.append((at, a.start))
        at = max(at, a.end)
    if s.end > at:
        parts.append((at, s.end))
    return parts


def place_breaks(shifts: list[Shift], required: list[int], interval: int, contracts: dict[int, Contract]) -> list[str]:
    """Lunch and breaks into each shift, greedily where coverage has the most slack; returns what could not be
    placed. Shifts keep activities they already have."""
    warnings: list[str] = []
    at_work = coverage(shifts, len(required), interval)
    for s in sorted(shifts, key=lambda x: (x.start, x.agent_id)):
        c = contracts[s.agent_id]
        lunch, breaks = break_plan(s.end - s.start, c)
        length = s.end - s.start
        segments = [(s.start, s.end)]
        if lunch:
            lo = _up(s.start + round(length * 0.35), interval)
            hi = s.start + round(length * 0.65) - lunch
            got = _best(lo, hi, lunch, s, at_work, required, interval)
            if got is None:
                warnings.append(
                    _("Agent %(a)d: no room for lunch in the shift of day %(d)d.")
                    % {"a": s.agent_id, "d": s.start // DAY + 1}
                )
            else:
                _take(s, Activity("lunch", got, got + lunch), at_work, interval)
                segments = [(s.start, got), (got + lunch, s.end)]
        counts = [(breaks + 1) // 2, breaks // 2] if len(segments) == 2 else [breaks]
        for (a, b), n in zip(segments, counts, strict=True):
            for j in range(n):
                width = (b - a) / (n + 1)
                centre = a + width * (j + 1)
                for gap in (GAP, GAP // 2, 0):
                    lo = max(_up(round(centre - width / 2), interval), _up(a + gap, interval))
                    hi = min(round(centre + width / 2), b - gap - c.break_minutes)
                    got = _best(lo, hi, c.break_minutes, s, at_work, required, interval, gap)
                    if got is not None:
                        _take(s, Activity("break", got, got + c.break_minutes), at_work, interval)
                        break
                else:
                    warnings.append(
                        _("Agent %(a)d: no room for a break in the shift of day %(d)d.")
                        % {"a": s.agent_id, "d": s.start // DAY + 1}
                    )
    return warnings


def _up(minute: int, interval: int) -> int:
    return math.ceil(minute / interval) * interval


def _best(
    lo: int, hi: int, length: int, s: Shift, at_work: list[int], required: list[int], interval: int, gap: int = 0
) -> int | None:
    """The start in [lo, hi] on the interval grid whose intervals have the most slack (then the middle)."""
    best, best_key = None, None
    middle = (lo + hi) / 2
    for start in range(_up(lo, interval), hi + 1, interval):
        if any(start < a.end + gap and a.start - gap < start + length for a in s.activities):
            continue
        ks = range(start // interval, math.ceil((start + length) / interval))
        slack = min((at_work[k] - required[k]) if 0 <= k < len(required) else 99 for k in ks)
        key = (slack, -abs(start - middle))
        if best_key is None or key > best_key:
            best, best_key = start, key
    return best


def _take(s: Shift, a: Activity, at_work: list[int], interval: int) -> None:
    s.activities.append(a)
    s.activities.sort(key=lambda x: x.start)
    for k in range(a.start // interval, math.ceil(a.end / interval)):
        if 0 <= k < len(at_work):
            lo, hi = max(a.start, k * interval), min(a.end, (k + 1) * interval)
            if hi - lo == interval:
                at_work[k] -= 1


def build(
    agents: Sequence[Agent],
    required: list[int],
    *,
    days: int,
    interval: int = 15,
    start_step: int = 30,
    time_limit: float = 20.0,
    workers: int = 2,
) -> Result:
    """The schedule of `days` days (whole weeks from a Monday) covering `required` (one figure per interval);
    the solver's `time_limit` (seconds) is shared by the weeks."""
    if len(required) != days * DAY // interval:
        raise ValueError("one requirement per interval")
    began = time.monotonic()
    warnings: list[str] = []
    shifts: list[Shift] = []
    statuses = []
    weeks = math.ceil(days / 7)
    for first in range(0, days, 7):
        picked, status = _solve_week(
            agents, required, first, min(7, days - first), interval, start_step, time_limit / weeks, workers, warnings
        )
        statuses.append(status)
        shifts += [Shift(agent_id, start, start + length) for agent_id, start, length in picked]
    contracts = {a.agent_id: a.contract for a in agents}
    warnings += place_breaks(shifts, required, interval, contracts)
    shifts.sort(key=lambda s: (s.start, s.agent_id))
    order = ["OPTIMAL", "FEASIBLE", "GREEDY"]
    worst = max(statuses, key=lambda st: order.index(st) if st in order else 9) if statuses else "OPTIMAL"
    return Result(
        shifts=shifts,
        required=list(required),
        scheduled=coverage(shifts, len(required), interval),
        status=worst,
        seconds=round(time.monotonic() - began, 3),
        warnings=warnings,
    )
