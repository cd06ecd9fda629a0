"""Writes of schedules (planners: supervisors and up; the API and pages check): contracts, availability, a
generated schedule, publishing, and hand edits of shifts and their activities. Each with its audit row."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.agents.models import AgentProfile
from apps.core.errors import NotFound, ValidationFailed
from apps.core.hooks import tenant_time_zone
from apps.core.validation import FieldErrors, json_object, whole_number
from apps.inbox.models import Channel
from apps.routing.models import Queue

from . import planning
from . import schedule as solver
from .models import Activity, AgentContract, Availability, Contract, ForecastOverride, Holiday, Schedule, Shift

MAX_SHIFT = timedelta(hours=16)


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _int(errors: FieldErrors, data: dict[str, Any], name: str, low: int, high: int, default: int | None) -> int:
    raw = data.get(name, default)
    value = whole_number(raw) if not isinstance(raw, bool) else None
    if value is None or not low <= value <= high:
        errors.add(name, _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high})
        return low
    return value


def do_save_contract(actor: User, data: Any, contract_id: int | None = None) -> Contract:
    data = json_object(data)
    errors = FieldErrors(data)
    name = errors.text("name", 80).strip()
    if errors.ok("name") and not name:
        errors.add("name", _("Required."))
    values = {
        "min_minutes_week": _int(errors, data, "min_minutes_week", 0, 7 * 1440, 0),
        "max_minutes_week": _int(errors, data, "max_minutes_week", 1, 7 * 1440, 2400),
        "max_days_week": _int(errors, data, "max_days_week", 1, 7, 5),
        "break_minutes": _int(errors, data, "break_minutes", 0, 60, 15),
        "lunch_minutes": _int(errors, data, "lunch_minutes", 0, 120, 30),
    }
    lengths = data.get("shift_minutes")
    if (
        not isinstance(lengths, list)
        or not 1 <= len(lengths) <= 6
        or not all(whole_number(n) is not None and 60 <= int(n) <= 960 and int(n) % 15 == 0 for n in lengths)
    ):
        errors.add("shift_minutes", _("1 to 6 shift lengths in minutes, each 60 to 960 and a multiple of 15."))
    if errors.ok("min_minutes_week") and errors.ok("max_minutes_week"):
        if values["min_minutes_week"] > values["max_minutes_week"]:
            errors.add("min_minutes_week", _("At most the maximum."))
    errors.raise_if_any()
    with transaction.atomic():
        if contract_id is None:
            if Contract.objects.filter(name=name).exists():
                raise _fail("name", _("A contract with this name exists."))
            contract = Contract.objects.create(name=name, shift_minutes=[int(n) for n in lengths], **values)
        else:
            found = Contract.objects.select_for_update().filter(pk=contract_id).first()
            if found is None:
                raise NotFound(_("No such contract."))
            contract = found
            contract.name, contract.shift_minutes = name, [int(n) for n in lengths]
            for k, v in values.items():
                setattr(contract, k, v)
            contract.save()
        record_audit(actor, "wfm.contract_saved", contract, name=name, shift_minutes=contract.shift_minutes, **values)
    return contract


def _agent(raw: Any, field: str = "agent") -> AgentProfile:
    agent_id = whole_number(raw) if not isinstance(raw, bool) else None
    agent = AgentProfile.objects.filter(pk=agent_id).first() if agent_id is not None else None
    if agent is None:
        raise _fail(field, _("No such agent."))
    return agent


def do_set_agent_plan(actor: User, agent_id: int, data: Any) -> AgentProfile:
    """An agent's contract ({contract: id or null}) and/or weekly availability ({windows: [{weekday 0-6,
    start "08:00", end "17:00"}]}, replacing the agent's windows)."""
    data = json_object(data)
    agent = _agent(agent_id)
    errors = FieldErrors(data)
    contract = None
    if "contract" in data and data["contract"] is not None:
        contract = Contract.objects.filter(pk=whole_number(data["contract"]) or 0).first()
        if contract is None:
            errors.add("contract", _("No such contract."))
    windows: list[tuple[int, int, int]] = []
    if "windows" in data:
        raw = data["windows"]
        if not isinstance(raw, list) or len(raw) > 50:
            errors.add("windows", _("A list of up to 50 windows."))
            raw = []
        for n, w in enumerate(raw):
            day = w.get("weekday") if isinstance(w, dict) else None
            start = planning.parse_hhmm(w.get("start")) if isinstance(w, dict) else None
            end = planning.parse_hhmm(w.get("end")) if isinstance(w, dict) else None
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                errors.add(f"windows[{n}].weekday", _("0 (Monday) to 6 (Sunday)."))
            elif start is None or end is None or start >= end:
                errors.add(f"windows[{n}].start", _("Start and end as HH:MM (24:00 for midnight), start first."))
            else:
                windows.append((day, start, end))
        for a in windows:
            for b in windows:
                if a is not b and a[0] == b[0] and a[1] < b[2] and b[1] < a[2]:
                    errors.add("windows", _("Windows of one day must not overlap."))
                    break
            if not errors.ok("windows"):
                break
    errors.raise_if_any()
    with transaction.atomic():
        AgentProfile.objects.select_for_update().get(pk=agent.pk)
        if "contract" in data:
            if contract is None:
                AgentContract.objects.filter(agent=agent).delete()
            else:
                AgentContract.objects.update_or_create(agent=agent, defaults={"contract": contract})
        if "windows" in data:
            Availability.objects.filter(agent=agent).delete()
            Availability.objects.bulk_create(
                Availability(agent=agent, weekday=d, start_minute=s, end_minute=e) for d, s, e in windows
            )
        record_audit(
            actor,
            "wfm.agent_plan_set",
            agent,
            contract=contract.pk if contract else None,
            windows=[{"weekday": d, "start": planning.hhmm(s), "end": planning.hhmm(e)} for d, s, e in windows],
        )
    return agent


def _percent(errors: FieldErrors, data: dict[str, Any], name: str, low: float, high: float, default: float) -> float:
    value = data.get(name, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        errors.add(name, _("A number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return default
    return float(value)


def generate_input(data: Any) -> dict[str, Any]:
    """The generate request checked: every bad field named at once."""
    data = json_object(data)
    errors = FieldErrors(data)
    qid = whole_number(data.get("queue")) if not isinstance(data.get("queue"), bool) else None
    queue = Queue.objects.filter(pk=qid).first() if qid is not None else None
    if queue is None:
        errors.add("queue", _("No such queue."))
    channel = data.get("channel") or ""
    if channel and channel not in Channel.values:
        errors.add("channel", _("Choose from: %(c)s.") % {"c": ", ".join(Channel.values)})
    try:
        first = parse_date(str(data.get("first_day") or ""))
    except ValueError:
        first = None
    if first is None or first.weekday() != 0:
        errors.add("first_day", _("A Monday, YYYY-MM-DD."))
    tz_name = str(data.get("time_zone") or tenant_time_zone())
    try:
        planning.zone(tz_name)
    except ValidationFailed as exc:
        for k, v in exc.fields.items():
            errors.add(k, v[0])
    out = {
        "queue": queue,
        "channel": channel,
        "first_day": first,
        "time_zone": tz_name,
        "weeks": _int(errors, data, "weeks", 1, 4, 1),
        "interval_minutes": _int(errors, data, "interval_minutes", 15, 30, 15),
        "time_limit": _int(errors, data, "time_limit_seconds", 1, 60, 20),
        "targets": {
            "target_service_level": _percent(errors, data, "target_service_level", 1, 99.9, 80),
            "target_seconds": _percent(errors, data, "target_seconds", 0, 3600, 20),
            "max_occupancy": _percent(errors, data, "max_occupancy", 10, 100, 85),
            "shrinkage": _percent(errors, data, "shrinkage", 0, 90, 0),
        },
    }
    if out["interval_minutes"] not in (15, 30):
        errors.add("interval_minutes", _("15 or 30."))
    name = data.get("name")
    out["name"] = name.strip()[:120] if isinstance(name, str) and name.strip() else ""
    errors.raise_if_any()
    return out


def requirement_for(spec: dict[str, Any]) -> list[int]:
    """Agents needed per interval: the queue's forecast (overrides and holidays laid on) through Erlang C."""
    from .forecast import forecast

    queue: Queue = spec["queue"]
    minutes = spec["interval_minutes"]
    holidays = {h.day: h.factor for h in Holiday.objects.all()}
    overrides = {
        o.start: (o.volume, o.aht_seconds)
        for o in ForecastOverride.objects.filter(queue=queue, channel=spec["channel"], interval_minutes=minutes)
    }
    days = spec["weeks"] * 7
    got = forecast(
        queue.pk, spec["channel"] or None, spec["first_day"], days, minutes, spec["time_zone"], holidays, overrides
    )
    pairs = [(float(i["volume"] or 0), i["aht_seconds"]) for i in got["intervals"]]
    handled = [(v, a) for v, a in pairs if v and a]
    default_aht = sum(v * a for v, a in handled) / sum(v for v, _a in handled) if handled else 300.0
    t = spec["targets"]
    return solver.requirement(
        pairs,
        minutes,
        target_service_level=t["target_service_level"] / 100,
        target_seconds=t["target_seconds"],
        max_occupancy=t["max_occupancy"] / 100,
        shrinkage=t["shrinkage"] / 100,
        default_aht=default_aht,
    )


def do_generate_schedule(actor: User, data: Any, required: list[int] | None = None) -> Schedule:
    """A draft schedule covering the requirement (`required`: given instead of the forecast's, by tests and
    the benchmark). The solver runs before the transaction; the rows are written in one."""
    spec = generate_input(data)
    if required is None:
        required = requirement_for(spec)
    elif len(required) != spec["weeks"] * 7 * 1440 // spec["interval_minutes"]:
        raise _fail("required", _("One figure per interval of the period."))
    agents = solver_agents_checked()
    result = solver.build(
        agents, required, days=spec["weeks"] * 7, interval=spec["interval_minutes"], time_limit=spec["time_limit"]
    )
    tz = ZoneInfo(spec["time_zone"])
    first: date = spec["first_day"]
    name = spec["name"] or _("Week of %(day)s") % {"day": first.isoformat()}
    with transaction.atomic():
        schedule = Schedule.objects.create(
            name=name,
            queue=spec["queue"],
            channel=spec["channel"],
            first_day=first,
            weeks=spec["weeks"],
            interval_minutes=spec["interval_minutes"],
            time_zone=spec["time_zone"],
            required=required,
            targets=spec["targets"],
            solver={
                "status": result.status,
                "seconds": result.seconds,
                "warnings": result.warnings[:50],
                "agents": len(agents),
            },
            created_by=actor,
        )
        shifts = Shift.objects.bulk_create(
            Shift(
                schedule=schedule,
                agent_id=s.agent_id,
                start=planning.from_minute(first, tz, s.start),
                end=planning.from_minute(first, tz, s.end),
            )
            for s in result.shifts
        )
        Activity.objects.bulk_create(
            Activity(
                shift=row,
                kind=a.kind,
                start=planning.from_minute(first, tz, a.start),
                end=planning.from_minute(first, tz, a.end),
            )
            for row, s in zip(shifts, result.shifts, strict=True)
            for a in s.activities
        )
        record_audit(
            actor,
            "wfm.schedule_generated",
            schedule,
            first_day=first.isoformat(),
            weeks=spec["weeks"],
            shifts=len(shifts),
            under=sum(result.under),
            status=result.status,
        )
    return schedule


def solver_agents_checked() -> list[solver.Agent]:
    agents = planning.solver_agents()
    if not agents:
        raise _fail("agents", _("No agent has a contract yet: give agents a contract and availability first."))
    return agents


def do_publish_schedule(actor: User, schedule_id: int) -> tuple[Schedule, list[Schedule]]:
    """Publish; published schedules over the same days go back to draft (one plan per day). Returns them."""
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(pk=schedule_id).first()
        if schedule is None:
            raise NotFound(_("No such schedule."))
        last = schedule.first_day + timedelta(weeks=schedule.weeks)
        others = [
            o
            for o in Schedule.objects.select_for_update()
            .filter(status=Schedule.Status.PUBLISHED)
            .exclude(pk=schedule.pk)
            if o.first_day < last and schedule.first_day < o.first_day + timedelta(weeks=o.weeks)
        ]
        for o in others:
            o.status = Schedule.Status.DRAFT
            o.save(update_fields=["status"])
            record_audit(actor, "wfm.schedule_unpublished", o, replaced_by=schedule.pk)
        schedule.status, schedule.published_at = Schedule.Status.PUBLISHED, timezone.now()
        schedule.save(update_fields=["status", "published_at"])
        record_audit(actor, "wfm.schedule_published", schedule)
    return schedule, others


def _moment(errors: FieldErrors, data: dict[str, Any], name: str, tz: ZoneInfo) -> datetime | None:
    got = planning.local_moment(data.get(name), tz)
    if got is None:
        errors.add(name, _("A date and time, YYYY-MM-DDTHH:MM (the schedule's time zone) or with an offset."))
    return got


def _check_shift(schedule: Schedule, agent_id: int, start: datetime, end: datetime, exclude: int | None) -> None:
    if start >= end:
        raise _fail("end", _("The end comes after the start."))
    if end - start > MAX_SHIFT:
        raise _fail("end", _("A shift is at most 16 hours."))
    first, last = planning.period(schedule)
    if start < first or end > last:
        raise _fail("start", _("The shift must lie inside the schedule's weeks."))
    overlap = Shift.objects.filter(schedule=schedule, agent_id=agent_id, start__lt=end, end__gt=start)
    if exclude is not None:
        overlap = overlap.exclude(pk=exclude)
    other = overlap.first()
    if other is not None:
        local = other.start.astimezone(ZoneInfo(schedule.time_zone))
        raise _fail(
            "start",
            _("It overlaps the agent's shift of %(when)s.") % {"when": local.strftime("%Y-%m-%d %H:%M")},
        )
    outside = planning.outside_availability(agent_id, start, end, ZoneInfo(schedule.time_zone))
    if outside:
        raise _fail("start", outside)


def _warnings(schedule: Schedule, shift: Shift) -> list[str]:
    """What the contract says of the agent's week after a hand edit (said, not refused: planners may)."""
    link = AgentContract.objects.select_related("contract").filter(agent_id=shift.agent_id).first()
    if link is None:
        return []
    c, tz = link.contract, ZoneInfo(schedule.time_zone)
    day = shift.start.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    first, _last = planning.period(schedule)
    week_start = max(first, datetime.combine(monday, datetime.min.time(), tzinfo=tz))
    week = Shift.objects.filter(
        schedule=schedule, agent_id=shift.agent_id, start__gte=week_start, start__lt=week_start + timedelta(days=7)
    )
    minutes = sum(int((s.end - s.start).total_seconds() // 60) for s in week)
    days = len({s.start.astimezone(tz).date() for s in week})
    out = []
    if minutes > c.max_minutes_week:
        out.append(
            _("%(m)d minutes this week: over the contract's %(max)d.") % {"m": minutes, "max": c.max_minutes_week}
        )
    if days > c.max_days_week:
        out.append(_("%(d)d days this week: over the contract's %(max)d.") % {"d": days, "max": c.max_days_week})
    return out


def do_add_shift(actor: User, schedule_id: int, data: Any) -> tuple[Shift, list[str]]:
    data = json_object(data)
    schedule = Schedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound(_("No such schedule."))
    agent = _agent(data.get("agent"))
    tz = ZoneInfo(schedule.time_zone)
    errors = FieldErrors(data)
    start, end = _moment(errors, data, "start", tz), _moment(errors, data, "end", tz)
    errors.raise_if_any()
    assert start is not None and end is not None
    with transaction.atomic():
        AgentProfile.objects.select_for_update().get(pk=agent.pk)  # one edit of an agent's shifts at a time
        _check_shift(schedule, agent.pk, start, end, None)
        shift = Shift.objects.create(schedule=schedule, agent=agent, start=start, end=end)
        record_audit(actor, "wfm.shift_added", shift, start=start.isoformat(), end=end.isoformat(), agent=agent.pk)
    return shift, _warnings(schedule, shift)


def do_move_shift(actor: User, shift_id: int, data: Any) -> tuple[Shift, list[str]]:
    """New start and/or end; a shift whose start moves takes its activities with it (which must still fit)."""
    data = json_object(data)
    shift = Shift.objects.select_related("schedule").filter(pk=shift_id).first()
    if shift is None:
        raise NotFound(_("No such shift."))
    tz = ZoneInfo(shift.schedule.time_zone)
    errors = FieldErrors(data)
    start = _moment(errors, data, "start", tz) if "start" in data else shift.start
    end = _moment(errors, data, "end", tz) if "end" in data else shift.end
    if "start" in data and "end" not in data and start is not None:
        end = start + (shift.end - shift.start)
    errors.raise_if_any()
    assert start is not None and end is not None
    with transaction.atomic():
        AgentProfile.objects.select_for_update().get(pk=shift.agent_id)
        shift = Shift.objects.select_for_update().get(pk=shift.pk)
        _check_shift(shift.schedule, shift.agent_id, start, end, shift.pk)
        delta = start - shift.start
        activities = list(shift.activities.all())
        for a in activities:
            a.start, a.end = a.start + delta, a.end + delta
            if a.start < start or a.end > end:
                raise _fail("end", _("The shift's %(kind)s would fall outside it.") % {"kind": a.get_kind_display()})
        Activity.objects.bulk_update(activities, ["start", "end"])
        shift.start, shift.end = start, end
        shift.save(update_fields=["start", "end"])
        record_audit(actor, "wfm.shift_moved", shift, start=start.isoformat(), end=end.isoformat())
    return shift, _warnings(shift.schedule, shift)


def do_delete_shift(actor: User, shift_id: int) -> None:
    with transaction.atomic():
        shift = Shift.objects.select_for_update().filter(pk=shift_id).first()
        if shift is None:
            raise NotFound(_("No such shift."))
        record_audit(actor, "wfm.shift_deleted", shift, agent=shift.agent_id, start=shift.start.isoformat())
        shift.delete()


def do_save_activity(
    actor: User, data: Any, *, shift_id: int | None = None, activity_id: int | None = None
) -> Activity:
    """Add an activity to a shift, or change one (kind, start, end): inside the shift, overlapping no other."""
    data = json_object(data)
    with transaction.atomic():
        activity = None
        if activity_id is not None:
            activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
            if activity is None:
                raise NotFound(_("No such activity."))
            shift_id = activity.shift_id
        shift = Shift.objects.select_for_update().select_related("schedule").filter(pk=shift_id or 0).first()
        if shift is None:
            raise NotFound(_("No such shift."))
        tz = ZoneInfo(shift.schedule.time_zone)
        errors = FieldErrors(data)
        kind = data.get("kind", activity.kind if activity else None)
        if kind not in Activity.Kind.values:
            errors.add("kind", _("Choose from: %(c)s.") % {"c": ", ".join(Activity.Kind.values)})
        start = _moment(errors, data, "start", tz) if "start" in data or activity is None else activity.start
        end = _moment(errors, data, "end", tz) if "end" in data or activity is None else activity.end
        errors.raise_if_any()
        assert start is not None and end is not None
        if start >= end:
            raise _fail("end", _("The end comes after the start."))
        if start < shift.start or end > shift.end:
            raise _fail("start", _("An activity must lie inside its shift."))
        clash = shift.activities.filter(Q(start__lt=end) & Q(end__gt=start))
        if activity is not None:
            clash = clash.exclude(pk=activity.pk)
        if clash.exists():
            raise _fail("start", _("It overlaps another activity of the shift."))
        if activity is None:
            activity = Activity.objects.create(shift=shift, kind=kind, start=start, end=end)
        else:
            activity.kind, activity.start, activity.end = kind, start, end
            activity.save(update_fields=["kind", "start", "end"])
        record_audit(actor, "wfm.activity_saved", activity, kind=kind, start=start.isoformat(), end=end.isoformat())
    return activity


def do_delete_activity(actor: User, activity_id: int) -> None:
    with transaction.atomic():
        activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
        if activity is None:
            raise NotFound(_("No such activity."))
        record_audit(actor, "wfm.activity_deleted", activity, shift=activity.shift_id, kind=activity.kind)
        activity.delete()
