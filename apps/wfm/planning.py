"""Between the schedule's rows and the solver's plain data: local times of the schedule's zone, minutes from
its first midnight, agents' windows and contracts, and coverage counted from the rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dateparse import parse_datetime
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed

from . import schedule as solver
from .models import AgentContract, Availability, Schedule


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            _("An IANA time zone, e.g. Europe/Berlin or Asia/Shanghai."),
            fields={field: [_("An IANA time zone, e.g. Europe/Berlin or Asia/Shanghai.")]},
        ) from None


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_hhmm(raw: Any) -> int | None:
    """ "08:30" -> 510; "24:00" is the end of the day."""
    if not isinstance(raw, str) or len(raw) != 5 or raw[2] != ":" or not (raw[:2] + raw[3:]).isdigit():
        return None
    h, m = int(raw[:2]), int(raw[3:])
    if m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def local_moment(raw: Any, tz: ZoneInfo) -> datetime | None:
    """An ISO date-time; without an offset it is the schedule's local time."""
    if not isinstance(raw, str):
        return None
    try:
        got = parse_datetime(raw)
    except ValueError:
        return None
    if got is None:
        return None
    return got.replace(tzinfo=tz) if got.tzinfo is None else got


_zone = lru_cache(maxsize=64)(ZoneInfo)


def period(s: Schedule) -> tuple[datetime, datetime]:
    tz = ZoneInfo(s.time_zone)
    first = datetime.combine(s.first_day, time(0), tzinfo=tz)
    last = datetime.combine(s.first_day + timedelta(weeks=s.weeks), time(0), tzinfo=tz)
    return first, last


def to_minute(s: Schedule, moment: datetime) -> int:
    """Minutes from the schedule's first local midnight, on the wall clock."""
    local = moment.astimezone(_zone(s.time_zone)).replace(tzinfo=None)
    delta = local - datetime.combine(s.first_day, time(0))
    return int(delta.total_seconds() // 60)


def from_minute(first_day: date, tz: ZoneInfo, minute: int) -> datetime:
    day = first_day + timedelta(days=minute // solver.DAY)
    m = minute % solver.DAY
    return datetime.combine(day, time(m // 60, m % 60), tzinfo=tz)


def windows_of(agent_ids: list[int]) -> dict[int, list[solver.Window]]:
    out: dict[int, list[solver.Window]] = defaultdict(list)
    for w in Availability.objects.filter(agent_id__in=agent_ids):
        out[w.agent_id].append(solver.Window(w.weekday, w.start_minute, w.end_minute))
    return out


def solver_agents(agent_ids: list[int] | None = None) -> list[solver.Agent]:
    """Agents with a contract (those of `agent_ids` when given), with their availability."""
    query = AgentContract.objects.select_related("contract")
    if agent_ids is not None:
        query = query.filter(agent_id__in=agent_ids)
    rows = list(query.order_by("agent_id"))
    windows = windows_of([r.agent_id for r in rows])
    out = []
    for r in rows:
        c = r.contract
        contract = solver.Contract(
            min_minutes_week=c.min_minutes_week,
            max_minutes_week=c.max_minutes_week,
            shift_lengths=tuple(sorted(set(c.shift_minutes))),
            max_days_week=c.max_days_week,
            break_minutes=c.break_minutes,
            lunch_minutes=c.lunch_minutes,
        )
        out.append(solver.Agent(r.agent_id, tuple(windows.get(r.agent_id, [])), contract))
    return out


def coverage(s: Schedule) -> tuple[list[int], int]:
    """Agents at work per interval, counted from the rows (hand edits included), and the number of shifts.
    Read as plain values: a 4-week schedule has thousands of shifts."""
    from .models import Activity

    acts: dict[int, list[solver.Activity]] = defaultdict(list)
    for shift_id, kind, a, b in Activity.objects.filter(shift__schedule=s).values_list(
        "shift_id", "kind", "start", "end"
    ):
        acts[shift_id].append(solver.Activity(kind, to_minute(s, a), to_minute(s, b)))
    plain = [
        solver.Shift(agent_id, to_minute(s, a), to_minute(s, b), acts.get(pk, []))
        for pk, agent_id, a, b in s.shifts.values_list("pk", "agent_id", "start", "end")
    ]
    return solver.coverage(plain, s.weeks * 7 * solver.DAY // s.interval_minutes, s.interval_minutes), len(plain)


def outside_availability(agent_id: int, start: datetime, end: datetime, tz: ZoneInfo) -> str | None:
    """None when [start, end) lies inside one of the agent's windows (local time); else what they are."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    begin = a.hour * 60 + a.minute
    finish = begin + int((b - a).total_seconds() // 60)
    windows = [w for w in windows_of([agent_id]).get(agent_id, []) if w.weekday == a.weekday()]
    if any(w.start <= begin and finish <= w.end for w in windows):
        return None
    if not windows:
        return _("The agent is not available on %(day)s.") % {"day": WEEKDAYS_ABBR[a.weekday()]}
    said = ", ".join(f"{hhmm(w.start)}-{hhmm(w.end)}" for w in sorted(windows, key=lambda w: w.start))
    return _("Outside the agent's availability on %(day)s (%(windows)s).") % {
        "day": WEEKDAYS_ABBR[a.weekday()],
        "windows": said,
    }
