"""Pages of schedules and adherence: the planners' schedules (generate, contracts, availability), one schedule's
day (coverage chart, shifts edited by hand, publish), adherence (live and past), and an agent's own schedule."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.models import User
from apps.agents.models import AgentProfile, AgentState
from apps.core.errors import ApplicationError
from apps.routing.models import Queue

from . import schedule_actions as actions
from . import schedule_selectors as selectors
from .models import Activity, Contract, Schedule
from .views import SUPERVISORS

DAYS = range(7)


def _planner(request: HttpRequest) -> bool:
    return str(getattr(request.user, "role", "")) in SUPERVISORS


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _said(exc: ApplicationError) -> str:
    fields = [m for ms in (exc.fields or {}).values() for m in ms if m != exc.message]
    return " ".join([exc.message, *fields])


def _next_monday() -> date:
    today = timezone.now().date()
    return today + timedelta(days=7 - today.weekday())


@login_required
@require_http_methods(["GET", "POST"])
def schedules_page(request: HttpRequest) -> HttpResponse:
    if not _planner(request):
        return render(request, "core/forbidden.html", status=403)
    error, status = "", 200
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "generate":
                data: dict[str, Any] = {
                    k: request.POST.get(k, "") for k in ("queue", "channel", "first_day", "time_zone", "name")
                }
                for k in ("weeks", "interval_minutes", "time_limit_seconds"):
                    data[k] = request.POST.get(k, "")
                for k in ("target_service_level", "target_seconds", "max_occupancy", "shrinkage"):
                    data[k] = _number(request.POST.get(k, ""))
                schedule = actions.do_generate_schedule(_user(request), data)
                under = sum(max(0, r - c) for r, c in zip(schedule.required, _scheduled(schedule), strict=True))
                messages.success(
                    request,
                    _("Schedule generated: %(n)d shifts.") % {"n": schedule.shifts.count()}
                    + (
                        " " + _("Short by %(u)d agent-intervals in all: see the chart.") % {"u": under} if under else ""
                    ),
                )
                return redirect("wfm-schedule", pk=schedule.pk)
            if step == "contract":
                lengths = [x.strip() for x in request.POST.get("shift_minutes", "").split(",") if x.strip()]
                data = {
                    k: request.POST.get(k, "")
                    for k in (
                        "name",
                        "min_minutes_week",
                        "max_minutes_week",
                        "max_days_week",
                        "break_minutes",
                        "lunch_minutes",
                    )
                }
                data["shift_minutes"] = lengths
                raw_id = request.POST.get("contract", "")
                actions.do_save_contract(_user(request), data, int(raw_id) if raw_id.isdigit() else None)
                messages.success(request, _("Contract saved."))
                return redirect("wfm-schedules")
            if step == "agent":
                raw = request.POST.get("agent", "")
                windows = []
                for d in DAYS:
                    start, end = request.POST.get(f"start_{d}", ""), request.POST.get(f"end_{d}", "")
                    if start or end:
                        windows.append({"weekday": d, "start": start, "end": "24:00" if end == "00:00" else end})
                contract = request.POST.get("contract", "")
                actions.do_set_agent_plan(
                    _user(request),
                    int(raw) if raw.isdigit() else 0,
                    {"contract": int(contract) if contract.isdigit() else None, "windows": windows},
                )
                messages.success(request, _("Contract and availability saved."))
                return redirect(reverse("wfm-schedules") + f"#agent-{raw}")
        except ApplicationError as exc:
            error, status = _said(exc), exc.status
    plans = selectors.agent_plans()
    for p in plans:
        by_day = {w["weekday"]: w for w in p["windows"]}
        p["days"] = [{**by_day.get(d, {"weekday": d, "start": "", "end": ""}), "label": WEEKDAYS_ABBR[d]} for d in DAYS]
    return render(
        request,
        "wfm/schedules.html",
        {
            "tab": "schedules",
            "planner": True,
            "error": error,
            "form": request.POST if request.method == "POST" else {},
            "schedules": Schedule.objects.all()[:50],
            "contracts": Contract.objects.order_by("name"),
            "queues": Queue.objects.order_by("name"),
            "plans": plans,
            "next_monday": _next_monday().isoformat(),
            "time_zone": selectors.default_time_zone(),
            "weekdays": [(d, WEEKDAYS_ABBR[d]) for d in DAYS],
        },
        status=status,
    )


def _number(raw: str) -> Any:
    text = raw.strip().replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return text


def _scheduled(schedule: Schedule) -> list[int]:
    from .planning import coverage

    return coverage(schedule)[0]


def _at(day: date, raw: str, tz: ZoneInfo, after: datetime | None = None) -> str:
    """A time of the page's day as the actions read it; an end at or before its start is the next day's."""
    hhmm = raw.strip()
    if len(hhmm) != 5:
        return raw
    moment = datetime.fromisoformat(f"{day.isoformat()}T{hhmm}").replace(tzinfo=tz) if hhmm[2] == ":" else None
    if moment is None:
        return raw
    if after is not None and moment <= after:
        moment += timedelta(days=1)
    return moment.isoformat()


def _times(shift: dict[str, Any]) -> None:
    """Local HH:MM of a shift and its activities, and where they sit on a bar of the day (% of 24 h)."""

    def place(item: dict[str, Any]) -> None:
        start, end = datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"])
        item["start_hm"], item["end_hm"] = item["start"][11:16], item["end"][11:16]
        begin = (start.hour * 60 + start.minute) / 14.4
        length = (end - start).total_seconds() / 60 / 14.4
        item["left"], item["width"] = f"{begin:.2f}", f"{min(length, 100 - begin):.2f}"

    place(shift)
    for a in shift["activities"]:
        place(a)


def _edit(request: HttpRequest, schedule: Schedule, day: date) -> str:
    """One hand edit from the page's forms; returns what to tell the planner."""
    tz = ZoneInfo(schedule.time_zone)
    step, user = request.POST.get("step", ""), _user(request)

    def pk(name: str) -> int:
        raw = request.POST.get(name, "")
        return int(raw) if raw.isascii() and raw.isdigit() else 0

    def times() -> dict[str, str]:
        start = _at(day, request.POST.get("start", ""), tz)
        try:
            after = datetime.fromisoformat(start)
        except ValueError:
            after = None
        return {"start": start, "end": _at(day, request.POST.get("end", ""), tz, after)}

    if step == "publish":
        _s, others = actions.do_publish_schedule(user, schedule.pk)
        return _("Published: agents see it, adherence counts against it.") + (
            " " + _("%(n)d other schedule(s) of these days went back to draft.") % {"n": len(others)} if others else ""
        )
    if step == "add-shift":
        _shift, warnings = actions.do_add_shift(user, schedule.pk, {"agent": pk("agent"), **times()})
        return " ".join([_("Shift added."), *warnings])
    if step == "move-shift":
        _shift, warnings = actions.do_move_shift(user, pk("shift"), times())
        return " ".join([_("Shift moved."), *warnings])
    if step == "delete-shift":
        actions.do_delete_shift(user, pk("shift"))
        return _("Shift deleted.")
    if step == "add-activity":
        actions.do_save_activity(user, {"kind": request.POST.get("kind"), **times()}, shift_id=pk("shift"))
        return _("Activity added.")
    if step == "delete-activity":
        actions.do_delete_activity(user, pk("activity"))
        return _("Activity deleted.")
    return _("Nothing to do.")


@login_required
@require_http_methods(["GET", "POST"])
def schedule_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not _planner(request):
        return render(request, "core/forbidden.html", status=403)
    schedule = Schedule.objects.filter(pk=pk).first()
    if schedule is None:
        return render(request, "core/forbidden.html", status=404)
    raw = request.GET.get("day") or request.POST.get("day") or ""
    try:
        day = parse_date(raw) if raw else None
    except ValueError:
        day = None
    last = schedule.first_day + timedelta(weeks=schedule.weeks, days=-1)
    if day is None or not schedule.first_day <= day <= last:
        day = schedule.first_day
    error, status = "", 200
    if request.method == "POST":
        try:
            messages.success(request, _edit(request, schedule, day))
            return redirect(reverse("wfm-schedule", args=[pk]) + f"?day={day.isoformat()}")
        except ApplicationError as exc:
            error, status = _said(exc), exc.status
            schedule.refresh_from_db()
    detail = selectors.schedule_detail(schedule, day)
    tz = ZoneInfo(schedule.time_zone)
    for s in detail["shifts"]:
        _times(s)
    short = [c for c in detail["coverage"] if c["under"]]
    chart = {
        "x": [datetime.fromisoformat(c["start"]).timestamp() for c in detail["coverage"]],
        "required": [c["required"] for c in detail["coverage"]],
        "scheduled": [c["scheduled"] for c in detail["coverage"]],
        "time_zone": schedule.time_zone,
        "labels": {"time": _("Time"), "required": _("Required"), "scheduled": _("Scheduled")},
    }
    days = [schedule.first_day + timedelta(days=d) for d in range(schedule.weeks * 7)]
    return render(
        request,
        "wfm/schedule.html",
        {
            "tab": "schedules",
            "planner": True,
            "schedule": schedule,
            "detail": detail,
            "day": day,
            "days": days,
            "previous": day - timedelta(days=1) if day > schedule.first_day else None,
            "following": day + timedelta(days=1) if day < last else None,
            "short": [{**c, "hm": c["start"][11:16]} for c in short],
            "day_under": sum(c["under"] for c in short),
            "chart": chart,
            "error": error,
            "form": request.POST if request.method == "POST" else {},
            "agents": AgentProfile.objects.select_related("user")
            .filter(user__is_active=True)
            .order_by("user__full_name"),
            "kinds": Activity.Kind.choices,
            "now": timezone.now().astimezone(tz),
        },
        status=status,
    )


def _now_rows() -> list[dict[str, Any]]:
    kinds, states = dict(Activity.Kind.choices), dict(AgentState.choices)
    rows = selectors.realtime()
    for r in rows:
        r["activity_label"] = _("Work") if r["activity"] == "work" else kinds.get(r["activity"], r["activity"])
        r["state_label"] = states.get(r["state"], r["state"])
        minutes, seconds = divmod(r["seconds"], 60)
        hours, minutes = divmod(minutes, 60)
        r["duration"] = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return rows


@login_required
@require_GET
def adherence_page(request: HttpRequest) -> HttpResponse:
    if not _planner(request):
        return render(request, "core/forbidden.html", status=403)
    error, history = "", None
    params = request.GET.copy()
    params.setdefault("interval", "day")
    try:
        history = selectors.history_request(params, selectors.default_time_zone())
        if history["interval"] != "day":  # only the intervals with something scheduled or worked
            history["results"] = [r for r in history["results"] if r["scheduled_seconds"] or r["worked_seconds"]]
        for r in history["results"]:
            r["scheduled_hours"] = round(r["scheduled_seconds"] / 3600, 2)
            r["exception_minutes"] = round(r["exception_seconds"] / 60, 1)
            r["scheduled_minutes"] = round(r["scheduled_seconds"] / 60, 1)
            r["worked_minutes"] = round(r["worked_seconds"] / 60, 1)
            r["hm"] = r.get("start", "")[11:16]
    except ApplicationError as exc:
        error = _said(exc)
    return render(
        request,
        "wfm/adherence.html",
        {
            "tab": "adherence",
            "planner": True,
            "rows": _now_rows(),
            "history": history,
            "error": error,
            "values": {
                "from": request.GET.get("from", history["from"] if history else ""),
                "days": request.GET.get("days", "7"),
            },
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def adherence_now(request: HttpRequest) -> HttpResponse:
    """The live table alone (htmx polls it every few seconds)."""
    if not _planner(request):
        return render(request, "core/forbidden.html", status=403)
    return render(request, "wfm/_adherence_now.html", {"rows": _now_rows()})


@login_required
@require_GET
def my_schedule_page(request: HttpRequest) -> HttpResponse:
    agent = AgentProfile.objects.select_related("user").filter(user=_user(request)).first()
    if agent is None:
        return render(request, "core/forbidden.html", status=403)
    raw = request.GET.get("from", "")
    try:
        start = parse_date(raw) if raw else None
    except ValueError:
        start = None
    start = start or timezone.now().date()
    mine = selectors.my_shifts(agent, start, 14)
    by_day: dict[str, list[dict[str, Any]]] = {}
    for s in mine["shifts"]:
        _times(s)
        by_day.setdefault(s["start"][:10], []).append(s)
    return render(
        request,
        "wfm/my_schedule.html",
        {
            "tab": "mine",
            "mine": mine,
            "days": [(date.fromisoformat(d), shifts) for d, shifts in sorted(by_day.items())],
            "previous": (start - timedelta(days=14)).isoformat(),
            "following": (start + timedelta(days=14)).isoformat(),
            "planner": _planner(request),
        },
    )
