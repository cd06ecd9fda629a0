"""Reads of schedules and adherence: a schedule with its coverage, an agent's own published shifts, who is
out of adherence now, and adherence / conformance per agent and day or interval (`adherence` computes)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from apps.agents.models import AgentProfile, PresenceChange
from apps.core.errors import NotFound, ValidationFailed

from . import adherence, planning
from .models import AgentContract, Availability, Contract, Schedule, Shift

LOOK_BACK = timedelta(hours=24)  # how far back an exception that is still going on is followed


def contract_json(c: Contract) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "min_minutes_week": c.min_minutes_week,
        "max_minutes_week": c.max_minutes_week,
        "shift_minutes": c.shift_minutes,
        "max_days_week": c.max_days_week,
        "break_minutes": c.break_minutes,
        "lunch_minutes": c.lunch_minutes,
    }


def agent_plans(agent_id: int | None = None) -> list[dict[str, Any]]:
    """Every active agent (or the one asked for, active or not) with their contract and weekly windows."""
    agents = AgentProfile.objects.select_related("user")
    agents = agents.filter(pk=agent_id) if agent_id is not None else agents.filter(user__is_active=True)
    rows = list(agents.order_by("user__full_name", "pk"))
    ids = [a.pk for a in rows]
    contracts = {r.agent_id: r.contract_id for r in AgentContract.objects.filter(agent_id__in=ids)}
    windows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for w in Availability.objects.filter(agent_id__in=ids):
        windows[w.agent_id].append(
            {"weekday": w.weekday, "start": planning.hhmm(w.start_minute), "end": planning.hhmm(w.end_minute)}
        )
    return [
        {"id": a.pk, "name": a.user.display_name, "contract": contracts.get(a.pk), "windows": windows.get(a.pk, [])}
        for a in rows
    ]


def schedule_summary(s: Schedule) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "status": s.status,
        "first_day": s.first_day.isoformat(),
        "weeks": s.weeks,
        "interval_minutes": s.interval_minutes,
        "time_zone": s.time_zone,
        "queue": s.queue_id,
        "solver": s.solver,
        "published_at": s.published_at.isoformat() if s.published_at else None,
    }


def get_schedule(pk: int) -> Schedule:
    s = Schedule.objects.filter(pk=pk).first()
    if s is None:
        raise NotFound(_("No such schedule."))
    return s


def shift_json(x: Shift, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": x.pk,
        "agent": {"id": x.agent_id, "name": x.agent.user.display_name},
        "start": x.start.astimezone(tz).isoformat(),
        "end": x.end.astimezone(tz).isoformat(),
        "activities": [
            {
                "id": a.pk,
                "kind": a.kind,
                "label": str(a.get_kind_display()),
                "start": a.start.astimezone(tz).isoformat(),
                "end": a.end.astimezone(tz).isoformat(),
            }
            for a in x.activities.all()
        ],
    }


def schedule_detail(s: Schedule, day: date | None = None, agent_id: int | None = None) -> dict[str, Any]:
    """The schedule, its shifts (of one day / one agent when asked) and its coverage per interval: required
    (what it was generated for), scheduled (agents at work, counted from the rows) and the shortfall."""
    tz = ZoneInfo(s.time_zone)
    scheduled, count = planning.coverage(s)
    required = list(s.required) or [0] * len(scheduled)
    first, _last = planning.period(s)
    per_day = 1440 // s.interval_minutes
    lo, hi = 0, len(scheduled)
    shown = s.shifts.prefetch_related("activities").select_related("agent__user").order_by("start", "agent_id")
    if day is not None:
        k = (day - s.first_day).days
        lo, hi = max(0, k * per_day), max(0, min(len(scheduled), (k + 1) * per_day))
        midnight = datetime.combine(day, time(0), tzinfo=tz)
        shown = shown.filter(
            start__gte=midnight, start__lt=datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        )
    if agent_id is not None:
        shown = shown.filter(agent_id=agent_id)
    coverage = [
        {
            "start": planning.from_minute(s.first_day, tz, k * s.interval_minutes).isoformat(),
            "required": required[k],
            "scheduled": scheduled[k],
            "under": max(0, required[k] - scheduled[k]),
        }
        for k in range(lo, hi)
    ]
    under = [max(0, r - c) for r, c in zip(required, scheduled, strict=True)]
    return {
        **schedule_summary(s),
        "period": {"from": first.isoformat(), "days": s.weeks * 7},
        "totals": {
            "required": sum(required),
            "scheduled": sum(scheduled),
            "under": sum(under),
            "intervals_under": sum(1 for u in under if u),
            "shifts": count,
        },
        "coverage": coverage,
        "shifts": [shift_json(x, tz) for x in shown],
    }


def my_shifts(agent: AgentProfile, start: date, days: int, time_zone: str | None = None) -> dict[str, Any]:
    """The agent's published shifts that begin in [start, start + days), in the schedules' zone."""
    rows = list(
        Shift.objects.filter(agent=agent, schedule__status=Schedule.Status.PUBLISHED)
        .select_related("schedule", "agent__user")
        .prefetch_related("activities")
        .order_by("start")
    )
    tz = ZoneInfo(time_zone or (rows[0].schedule.time_zone if rows else default_time_zone()))
    lo = datetime.combine(start, time(0), tzinfo=tz)
    hi = lo + timedelta(days=days)
    shown = [x for x in rows if lo <= x.start < hi]
    return {
        "agent": {"id": agent.pk, "name": agent.user.display_name},
        "from": start.isoformat(),
        "days": days,
        "time_zone": str(tz),
        "shifts": [shift_json(x, tz) for x in shown],
    }


def shifts_request(params: Any) -> dict[str, Any]:
    """`?from=YYYY-MM-DD&days=7&agent=&published=1`: the shifts beginning in the period (in the tenant's zone),
    of every schedule or only the published ones, of one agent or all."""
    errors: dict[str, list[str]] = {}
    tz_name = default_time_zone()
    tz = ZoneInfo(tz_name)
    raw = str(params.get("from") or "")
    try:
        first = parse_date(raw) if raw else timezone.now().astimezone(tz).date()
    except ValueError:
        first = None
    if first is None:
        errors["from"] = [_("A date, YYYY-MM-DD.")]
    raw_days = str(params.get("days") or "7")
    days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() and 1 <= int(raw_days) <= 62 else 0
    if not days:
        errors["days"] = [_("1 to 62.")]
    raw_agent = str(params.get("agent") or "")
    if raw_agent and not (raw_agent.isascii() and raw_agent.isdigit()):
        errors["agent"] = [_("No such agent.")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    assert first is not None
    lo = datetime.combine(first, time(0), tzinfo=tz)
    rows = Shift.objects.filter(start__gte=lo, start__lt=lo + timedelta(days=days))
    if raw_agent:
        rows = rows.filter(agent_id=int(raw_agent))
    if str(params.get("published") or "") in ("1", "true"):
        rows = rows.filter(schedule__status=Schedule.Status.PUBLISHED)
    rows = rows.select_related("agent__user", "schedule").prefetch_related("activities").order_by("start", "agent_id")
    return {
        "from": first.isoformat(),
        "days": days,
        "time_zone": tz_name,
        "results": [
            {**shift_json(x, tz), "schedule": {"id": x.schedule_id, "status": x.schedule.status}} for x in rows[:5000]
        ],
    }


def _published_spans(agent_ids: list[int], start: datetime, end: datetime) -> dict[int, list[adherence.Span]]:
    """Each agent's published shifts overlapping [start, end) as work and activity spans (epoch seconds)."""
    out: dict[int, list[adherence.Span]] = defaultdict(list)
    shifts = (
        Shift.objects.filter(schedule__status=Schedule.Status.PUBLISHED, start__lt=end, end__gt=start)
        .filter(agent_id__in=agent_ids)
        .prefetch_related("activities")
    )
    for x in shifts:
        acts = [adherence.Span(a.start.timestamp(), a.end.timestamp(), a.kind) for a in x.activities.all()]
        out[x.agent_id] += adherence.work_spans(x.start.timestamp(), x.end.timestamp(), acts)
    return out


def _presence_spans(
    agent_ids: list[int], start: datetime, end: datetime, now: datetime
) -> dict[int, list[adherence.Span]]:
    """Presence rows overlapping [start, end); the current one (no end yet) runs until `now`."""
    out: dict[int, list[adherence.Span]] = defaultdict(list)
    rows = (
        PresenceChange.objects.filter(agent_id__in=agent_ids, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .select_related("reason")
    )
    for p in rows:
        finish = p.ended_at or now
        if finish > p.started_at:
            out[p.agent_id].append(
                adherence.Span(p.started_at.timestamp(), finish.timestamp(), p.state, p.reason.name if p.reason else "")
            )
    return out


def realtime(now: datetime | None = None) -> list[dict[str, Any]]:
    """Agents in a published shift now whose presence does not match the activity: since when, how long."""
    now = now or timezone.now()
    agents = list(
        Shift.objects.filter(schedule__status=Schedule.Status.PUBLISHED, start__lte=now, end__gt=now)
        .values_list("agent_id", flat=True)
        .distinct()
    )
    schedule = _published_spans(agents, now - LOOK_BACK, now + timedelta(seconds=1))
    presence = _presence_spans(agents, now - LOOK_BACK, now + timedelta(seconds=1), now + timedelta(seconds=1))
    names = {a.pk: a for a in AgentProfile.objects.select_related("user", "state_reason").filter(pk__in=agents)}
    t = now.timestamp()
    rows: list[dict[str, Any]] = []
    for agent_id in agents:
        since = adherence.out_of_adherence(schedule[agent_id], presence[agent_id], t, LOOK_BACK.total_seconds())
        if since is None:
            continue
        activity = next((s.what for s in schedule[agent_id] if s.start <= t < s.end), adherence.WORK)
        state = next((p for p in presence[agent_id] if p.start <= t < p.end + 1e-6), None)
        a = names[agent_id]
        rows.append(
            {
                "agent": {"id": agent_id, "name": a.user.display_name},
                "activity": activity,
                "state": state.what if state else "offline",
                "reason": state.reason if state else "",
                "since": datetime.fromtimestamp(since, tz=now.tzinfo).isoformat(),
                "seconds": int(t - since),
            }
        )
    rows.sort(key=lambda r: (-r["seconds"], r["agent"]["name"]))
    return rows


def figures_by_agent(
    agent_ids: list[int], start: datetime, end: datetime, step: timedelta | None = None, now: datetime | None = None
) -> dict[int, list[adherence.Figures]]:
    """Each agent's figures over [start, min(end, now)) in buckets of `step` (one bucket when None)."""
    now = now or timezone.now()
    stop = min(end, now)
    if stop <= start:
        return {a: [] for a in agent_ids}
    schedule = _published_spans(agent_ids, start, stop)
    presence = _presence_spans(agent_ids, start, stop, now)
    seconds = (step or (stop - start)).total_seconds()
    return {
        a: adherence.figures(schedule[a], presence[a], start.timestamp(), stop.timestamp(), seconds) for a in agent_ids
    }


def history_request(params: Any, tz_default: str) -> dict[str, Any]:
    """`?from=YYYY-MM-DD&days=7&agent=&interval=day|15|30&time_zone=` checked, then per agent and day (or
    interval, for one agent and one day)."""
    errors: dict[str, list[str]] = {}
    tz_name = str(params.get("time_zone") or tz_default)
    try:
        tz = planning.zone(tz_name)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        tz = ZoneInfo("UTC")
    raw = str(params.get("from") or "")
    try:
        first = parse_date(raw) if raw else timezone.now().astimezone(tz).date() - timedelta(days=6)
    except ValueError:
        first = None
    if first is None:
        errors["from"] = [_("A date, YYYY-MM-DD.")]
    raw_days = str(params.get("days") or "7")
    days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() and 1 <= int(raw_days) <= 31 else 0
    if not days:
        errors["days"] = [_("1 to 31.")]
    interval = str(params.get("interval") or "day")
    if interval not in ("day", "15", "30"):
        errors["interval"] = [_("day, 15 or 30.")]
    raw_agent = str(params.get("agent") or "")
    agent_ids = list(AgentProfile.objects.filter(user__is_active=True).values_list("pk", flat=True))
    if raw_agent:
        if not (raw_agent.isascii() and raw_agent.isdigit() and int(raw_agent) in agent_ids):
            errors["agent"] = [_("No such agent.")]
        else:
            agent_ids = [int(raw_agent)]
    if interval != "day" and (not raw_agent or days != 1):
        errors["interval"] = [_("Intervals for one agent and one day (agent=, days=1).")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    assert first is not None
    start = datetime.combine(first, time(0), tzinfo=tz)
    names = {a.pk: a.user.display_name for a in AgentProfile.objects.select_related("user").filter(pk__in=agent_ids)}
    rows: list[dict[str, Any]] = []
    if interval == "day":
        for d in range(days):
            lo = datetime.combine(first + timedelta(days=d), time(0), tzinfo=tz)
            hi = datetime.combine(first + timedelta(days=d + 1), time(0), tzinfo=tz)
            for agent_id, found in figures_by_agent(agent_ids, lo, hi).items():
                if found and found[0].scheduled + found[0].worked:
                    rows.append(
                        {
                            "agent": {"id": agent_id, "name": names.get(agent_id, "")},
                            "day": lo.date().isoformat(),
                            **found[0].as_json(),
                        }
                    )
    else:
        step = timedelta(minutes=int(interval))
        hi = datetime.combine(first + timedelta(days=1), time(0), tzinfo=tz)
        for agent_id, found in figures_by_agent(agent_ids, start, hi, step).items():
            for k, f in enumerate(found):
                rows.append(
                    {
                        "agent": {"id": agent_id, "name": names.get(agent_id, "")},
                        "start": (start + k * step).isoformat(),
                        **f.as_json(),
                    }
                )
    rows.sort(key=lambda r: (r["agent"]["name"], r["agent"]["id"], r.get("day") or r.get("start")))
    return {"from": first.isoformat(), "days": days, "interval": interval, "time_zone": tz_name, "results": rows}


def default_time_zone() -> str:
    """The tenant's zone (its days and weeks)."""
    from apps.core.hooks import tenant_time_zone

    return tenant_time_zone()


def scorecard_figures(agent_ids: list[int], start: datetime, end: datetime) -> dict[str, dict[int, Any]]:
    """reporting's `scorecard_figures` hook: adherence and conformance (%) of each agent over the period."""
    found = figures_by_agent(agent_ids, start, end)
    out: dict[str, dict[int, Any]] = {"adherence": {}, "conformance": {}}
    for agent_id, buckets in found.items():
        total = adherence.Figures()
        for f in buckets:
            total.add(f)
        out["adherence"][agent_id] = total.adherence
        out["conformance"][agent_id] = total.conformance
    return out
