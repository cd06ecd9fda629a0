"""Reporting's pages: the historical report (a chart over time, the slice's table, comparison with the
previous period, CSV / XLSX downloads) and the metrics dictionary with the reporting settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.core.errors import ApplicationError, ValidationFailed
from apps.core.validation import whole_number
from apps.inbox.models import Channel
from apps.routing.models import Queue

from .actions import do_save_reporting_settings
from .metrics import BY_NAME, METRICS, SCHEDULE_METRICS, dictionary, shown
from .models import WAIT_BOUNDS, ReportingSettings
from .selectors import (
    INTERVALS,
    SLICE_NAMES,
    ReportQuery,
    drill_down,
    parse_report_query,
    realtime_state,
    report,
    report_sums,
    summed_up,
)

SUPERVISORS = {"owner", "admin", "supervisor"}
TABLE = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "asa_seconds",
    "abandon_rate",
    "handled",
    "aht_seconds",
    "first_response_seconds",
    "transfer_rate",
    "csat",
    "fcr_rate",
)
DRILL_COLUMNS = ("offered", "answered", "abandoned", "handled")
COMPARED = ("offered", "answered", "abandoned", "service_level", "asa_seconds", "aht_seconds", "handled")
# Whether a rise is good news (None: neither), for the colour of a change.
RISE_IS_GOOD = {"answered": True, "abandoned": False, "service_level": True, "asa_seconds": False, "aht_seconds": False}


def _role(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


def _change(metric: str, now: Any, before: Any) -> dict[str, Any] | None:
    if now is None or before is None:
        return None
    delta = round(float(now) - float(before), 1)
    good = RISE_IS_GOOD.get(metric)
    tone = "" if good is None or delta == 0 else ("better" if (delta > 0) == good else "worse")
    return {"before": before, "delta": delta, "up": delta > 0, "down": delta < 0, "tone": tone}


@login_required
def reports_page(request: HttpRequest) -> HttpResponse:
    if _role(request) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    settings = ReportingSettings.current()
    asked = str(request.GET.get("slice", ""))
    slice_ = asked if asked in ("queues", "agents", "channels") else "queues"
    error = ""
    try:
        q = parse_report_query(request.GET, slice_, settings)
    except ValidationFailed as exc:
        error = exc.message
        q = parse_report_query({}, slice_, settings)
    if q.interval == "total":
        q = replace(q, interval="day")
    rows = report(replace(q, interval="total"), settings)
    slice_param = {"queues": "queue", "agents": "agent", "channels": "channel"}[slice_]
    base_drill = urlencode(
        {k: v for k, v in request.GET.items() if k not in ("format", "slice", "compare", "interval", slice_param)}
    )
    columns = [BY_NAME[m] for m in TABLE]
    drill_title = escape(_("The interactions behind this number"))
    for row in rows:
        key = row[SLICE_NAMES[slice_]]["id"]
        own = urlencode({slice_param: key if key is not None else 0})
        drill = f"/reports/interactions/?{base_drill}&{own}" if base_drill else f"/reports/interactions/?{own}"
        # The row's cells as HTML, each figure as shown and a count linked to the interactions behind it,
        # built here with every value escaped: a table of 500 agents is 5,500 cells, which the template
        # language renders in 100 ms and this in 5.
        cells = []
        for m in columns:
            text = str(escape(shown(row[m.name], m.unit)))
            if m.name in DRILL_COLUMNS and row[m.name]:
                text = f'<a href="{escape(f"{drill}&metric={m.name}")}" title="{drill_title}">{text}</a>'
            cells.append(f'<td data-metric="{m.name}">{text}</td>')
        row["cells_html"] = mark_safe("".join(cells))  # noqa: S308  (every value above is escaped)
    series_q = replace(q, slice="total")
    series_sums = report_sums(series_q)
    series = report(series_q, settings, series_sums)
    totals = report(replace(q, slice="total", interval="total"), settings, summed_up(series_sums))
    total = totals[0] if totals else None
    compare = request.GET.get("compare") == "1"
    previous_total = None
    previous_series: list[dict[str, Any]] | None = None
    if compare:
        length = q.end - q.start
        before = replace(q, start=q.start - length, end=q.start)
        prev = report(replace(before, slice="total", interval="total"), settings)
        previous_total = prev[0] if prev else None
        previous_series = report(replace(before, slice="total"), settings)
    changes = {m: _change(m, total and total[m], previous_total and previous_total[m]) for m in COMPARED}
    chart = _chart(q, series, previous_series)
    base = {k: v for k, v in request.GET.items() if k not in ("format",)}
    context = {
        "q": q,
        "error": error,
        "slice": slice_,
        "slice_name": SLICE_NAMES[slice_],
        "rows": rows,
        "total": total,
        "compare": compare,
        "changes": changes,
        "columns": columns,
        "compared": [BY_NAME[m] for m in COMPARED],
        "chart": chart,
        "intervals": [i for i in INTERVALS if i != "total"],
        "queues": list(Queue.objects.order_by("name").values_list("pk", "name")),
        "channels": Channel.choices,
        "values": {
            "from": request.GET.get("from") or q.start.astimezone(_tz(q)).date().isoformat(),
            "to": request.GET.get("to") or (q.end - timedelta(microseconds=1)).astimezone(_tz(q)).date().isoformat(),
            "queue": request.GET.get("queue", ""),
            "channel": request.GET.get("channel", ""),
        },
        "downloads": {
            fmt: f"/api/v1/reports/{slice_}?{urlencode({**base, 'interval': 'total', 'format': fmt})}"
            for fmt in ("csv", "xlsx")
        },
        "settings": settings,
    }
    return render(request, "reporting/reports.html", context)


def _tz(q: ReportQuery) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(q.time_zone)


STEP_SECONDS = {"15min": 900, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
MAX_DAYS = 400


def _periods(q: ReportQuery) -> list[datetime]:
    """Every local period of the range, in order (days of 23 or 25 hours and all): the start of the
    period of each 15-minute interval, once."""
    tz = _tz(q)
    seen: dict[datetime, None] = {}
    at = q.start.astimezone(UTC)
    end = q.end.astimezone(UTC)
    while at < end:
        local = at.astimezone(tz)
        if q.interval == "15min":
            start = local
        elif q.interval == "hour":
            start = local.replace(minute=0, second=0, microsecond=0)
        elif q.interval == "day":
            start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elif q.interval == "week":
            start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        # The repeated hour of a DST change is one local hour, its first instance (as the report's SQL).
        seen.setdefault(start.replace(fold=0), None)
        at += timedelta(minutes=15)
    return list(seen)


def _chart(q: ReportQuery, series: list[dict[str, Any]], previous: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The chart's data for uPlot: periods as Unix seconds, the counts and the service level; the
    previous period's offered laid over the same positions."""
    periods = _periods(q)
    found = {datetime.fromisoformat(r["period"]): r for r in series if r["period"]}
    rows = [found.get(p) for p in periods]  # a period without any work is a zero, not a gap
    before = {datetime.fromisoformat(r["period"]): r for r in previous or [] if r["period"]}
    shift = q.end - q.start
    return {
        "time_zone": q.time_zone,
        "step": STEP_SECONDS[q.interval],
        "x": [int(p.timestamp()) for p in periods],
        "offered": [r["offered"] if r else 0 for r in rows],
        "answered": [r["answered"] if r else 0 for r in rows],
        "abandoned": [r["abandoned"] if r else 0 for r in rows],
        "service_level": [r["service_level"] if r else None for r in rows],
        "previous_offered": [(before[p - shift]["offered"] if (p - shift) in before else 0) for p in periods]
        if previous is not None and q.end - q.start <= timedelta(days=MAX_DAYS)
        else None,
        "labels": {
            "time": _("Time"),
            "offered": str(BY_NAME["offered"].label),
            "answered": str(BY_NAME["answered"].label),
            "abandoned": str(BY_NAME["abandoned"].label),
            "service_level": str(BY_NAME["service_level"].label) + " %",
            "previous_offered": _("Offered, previous period"),
        },
    }


@login_required
@require_http_methods(["GET", "POST"])
def metrics_page(request: HttpRequest) -> HttpResponse:
    """The metrics dictionary, and the settings every report uses (owners and admins change them)."""
    role = _role(request)
    if role not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    current = ReportingSettings.current()
    errors: dict[str, list[str]] = {}
    saved = False
    values = {
        "time_zone": current.time_zone,
        "short_abandon_seconds": str(current.short_abandon_seconds),
        "service_level_formula": current.service_level_formula,
    }
    if request.method == "POST":
        if role not in {"owner", "admin"}:
            return render(request, "core/forbidden.html", status=403)
        values = {k: request.POST.get(k, "").strip() for k in values}
        short = values["short_abandon_seconds"]
        try:
            do_save_reporting_settings(
                cast(User, request.user),
                time_zone=values["time_zone"],
                short_abandon_seconds=whole_number(short) if whole_number(short) is not None else -1,
                service_level_formula=values["service_level_formula"],
            )
            saved = True
        except ApplicationError as exc:
            errors = exc.fields or {"form": [exc.message]}
    context = {
        "metrics": dictionary(),
        "schedule_metrics": dictionary(SCHEDULE_METRICS),
        "values": values,
        "errors": errors,
        "saved": saved,
        "can_edit": role in {"owner", "admin"},
        "formulas": ReportingSettings.Formula.choices,
        "shorts": [b for b in WAIT_BOUNDS if b <= 60],
        "count": len(METRICS),
    }
    return render(request, "reporting/metrics.html", context, status=400 if errors else 200)


@login_required
def wallboard_page(request: HttpRequest) -> HttpResponse:
    """The live wallboard: the state now, then every change pushed over `/ws/wallboard/`."""
    if _role(request) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    labels = {
        "states": {
            "available": _("available"),
            "busy": _("busy"),
            "away": _("away"),
            "wrap_up": _("wrap-up"),
            "offline": _("offline"),
        },
        "channels": {str(k): str(v) for k, v in Channel.choices},
        "waiting": _("Waiting"),
        "longest": _("Longest wait"),
        "ewt": _("Estimated wait"),
        "sl": _("Service level today"),
        "target": _("target %(p)s%% in %(s)s s"),
        "offered": _("Offered"),
        "answered": _("Answered"),
        "abandoned": _("Abandoned"),
        "agents": _("Agents"),
        "nobody": _("Nobody is waiting."),
        "noWork": _("No work"),
        "live": _("Live"),
        "reconnecting": _("Reconnecting…"),
        "alertTitle": _("%(queue)s needs attention"),
        "alertSl": _("Service level %(sl)s%% is below the target %(target)s%%."),
        "alertWait": _("A customer has waited %(s)s s."),
        "notifyOn": _("Notifications on"),
        "queueAgents": _("Agents of %(queue)s"),
        "waitingIn": _("Waiting in %(queue)s"),
        "unknown": _("not recorded"),
    }
    return render(request, "reporting/wallboard.html", {"labels": labels, "state": realtime_state()})


@login_required
def drill_down_page(request: HttpRequest) -> HttpResponse:
    """The interactions behind a number of a report, each to its customer's journey (its transcript
    and recordings are there)."""
    if _role(request) not in SUPERVISORS:
        return render(request, "core/forbidden.html", status=403)
    settings = ReportingSettings.current()
    metric = str(request.GET.get("metric", ""))
    try:
        q = parse_report_query(request.GET, "queues", settings)
        found = drill_down(q, metric, settings)
        error = ""
    except ValidationFailed as exc:
        found, error = {"results": [], "more": False}, exc.message
    back = {k: v for k, v in request.GET.items() if k not in ("metric", "queue", "agent", "channel")}
    context = {
        "metric": BY_NAME.get(metric),
        "rows": found["results"],
        "more": found["more"],
        "error": error,
        "back": f"/reports/?{urlencode(back)}",
        "channels": dict(Channel.choices),
    }
    return render(request, "reporting/interactions.html", context, status=400 if error else 200)


@login_required
def scorecard_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """An agent's scorecard: this week's or month's figures against the team's targets, the trend,
    the rank in the team. Agents see their own; supervisors their teams'; owners and admins all."""
    from .scorecards import PERIODS, readable_agent, scorecard, visible_agents

    user = cast(User, request.user)
    agents = visible_agents(user)
    if pk is None:
        own = next((a for a in agents if a.user_id == user.pk), None)
        agent = own or (agents[0] if agents else None)
        if agent is None:
            return render(request, "reporting/scorecard.html", {"card": None, "agents": []})
    else:
        try:
            agent = readable_agent(user, pk)
        except ApplicationError:
            return render(request, "core/forbidden.html", status=404)
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "month"
    card = scorecard(agent, str(period), datetime.now(_zone()).date())
    context = {
        "card": card,
        "agents": agents,
        "period": period,
        "periods": PERIODS,
        "can_set_targets": _role(request) in {"owner", "admin"},
        "chart": {"periods": card["periods"], "metrics": card["metrics"]},
    }
    return render(request, "reporting/scorecard.html", context)


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(ReportingSettings.current().time_zone)


@login_required
@require_http_methods(["GET", "POST"])
def targets_page(request: HttpRequest) -> HttpResponse:
    """Each team's scorecard targets (owners and admins; a blank field: no target)."""
    from .scorecards import SCORECARD, do_set_team_targets, scorecard_metric, team_targets

    if _role(request) not in {"owner", "admin"}:
        return render(request, "core/forbidden.html", status=403)
    errors: dict[str, Any] = {}
    saved = None
    if request.method == "POST":
        team_id = request.POST.get("team", "")
        values: dict[str, Any] = {}
        bad: dict[str, list[str]] = {}
        for metric in SCORECARD:
            raw = request.POST.get(metric, "").strip().replace(",", ".")
            try:
                values[metric] = float(raw) if raw else None
            except ValueError:
                bad[metric] = [_("A number, or blank for no target.")]
        try:
            if bad:
                raise ValidationFailed(_("Please correct the errors below."), fields=bad)
            do_set_team_targets(cast(User, request.user), whole_number(team_id), values)
            saved = int(team_id)
        except ApplicationError as exc:
            errors = {
                "team": whole_number(team_id),
                "fields": exc.fields or {},
                "message": exc.message,
            }
    metrics = [scorecard_metric(m) for m in SCORECARD]
    context = {"teams": team_targets(), "metrics": metrics, "errors": errors, "saved": saved}
    return render(request, "reporting/targets.html", context, status=400 if errors else 200)
