"""Reads of reporting: historical reports from the 15-minute roll-up, in the tenant's time zone.

A report is the roll-up's rows in [start, end), summed per period and per slice (queue, agent or
channel), then every metric derived from the sums (`metrics.derive`). Periods are local: a day is the
tenant's local day (23 or 25 hours across a DST change), and since every zone's offset is a multiple
of 15 minutes each interval lies wholly inside one local hour, day, week or month.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.agents.models import AgentProfile
from apps.core.errors import ValidationFailed
from apps.core.validation import whole_number
from apps.inbox.models import Channel
from apps.routing.models import Queue

from .metrics import MAXED, SUMMED, derive
from .models import FCR_DAYS, WAIT_BOUNDS, DayStat, ReportingSettings

INTERVALS = ("15min", "hour", "day", "week", "month", "total")
# The slice's key, as SQL over the roll-up `r` ("total": every row in one).
SLICES = {"queues": "r.queue_id", "agents": "r.agent_id", "channels": "r.channel", "total": "'all'"}
# The longest a period of each interval can be (a local day: 25 hours; a month: 31 days).
PERIOD_AT_MOST = {
    "15min": timedelta(minutes=15),
    "hour": timedelta(hours=1),
    "day": timedelta(hours=25),
    "week": timedelta(days=7, hours=1),
    "month": timedelta(days=31, hours=1),
}
SLICE_NAMES = {"queues": "queue", "agents": "agent", "channels": "channel", "total": "total"}
MAX_DAYS = 400


@dataclass(frozen=True)
class ReportQuery:
    slice: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    interval: str
    time_zone: str
    queues: tuple[int, ...] = ()
    agents: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    sl_seconds: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    days_time_zone: str = ""  # the zone the daily roll-up is kept in (another: reports read intervals)


def _ints(params: Any, name: str) -> tuple[int, ...]:
    raw = ",".join(params.getlist(name)) if hasattr(params, "getlist") else str(params.get(name, ""))
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not all(whole_number(v) is not None for v in values):
        raise ValidationFailed(_("%(p)s: ids separated by commas.") % {"p": name}, fields={name: [_("Ids only.")]})
    return tuple(int(v) for v in values)


def _bound(raw: str, name: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """A date is a whole local day (`to` includes it); a date-time needs its zone."""
    try:
        day = parse_date(raw) if len(raw) == 10 else None
    except ValueError:  # well formed, but no such day (2026-02-30)
        day = None
        raw = ""
    if day is not None:
        local = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=tz)
        return local
    try:
        at = parse_datetime(raw)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailed(
            _("%(p)s: a date (2026-03-29) or a date and time with its zone (2026-03-29T08:00:00+02:00).") % {"p": name},
            fields={name: [_("A date, or a date and time with its zone.")]},
        )
    return at


def parse_report_query(params: Any, slice_: str, settings: ReportingSettings) -> ReportQuery:
    """The report API's query string, checked: a bad value names its parameter."""
    tz = ZoneInfo(settings.time_zone)
    today = datetime.now(tz).date()
    raw_from = str(params.get("from") or today.isoformat())
    start = _bound(raw_from, "from", tz, end=False)
    raw_to = str(params.get("to") or (raw_from if len(raw_from) == 10 else ""))
    if not raw_to:
        raise ValidationFailed(_("to: required with a date and time from."), fields={"to": [_("Required.")]})
    end = _bound(raw_to, "to", tz, end=True)
    if end <= start:
        raise ValidationFailed(_("to must come after from."), fields={"to": [_("After from.")]})
    if end - start > timedelta(days=MAX_DAYS):
        raise ValidationFailed(
            _("A report covers at most %(n)d days.") % {"n": MAX_DAYS}, fields={"to": [_("Too long a range.")]}
        )
    interval = str(params.get("interval") or "day")
    if interval not in INTERVALS:
        raise ValidationFailed(
            _("interval: one of %(i)s.") % {"i": ", ".join(INTERVALS)}, fields={"interval": [_("Unknown interval.")]}
        )
    channels = tuple(c for c in str(params.get("channel") or "").split(",") if c)
    unknown = sorted(set(channels) - set(Channel.values))
    if unknown:
        raise ValidationFailed(
            _("Unknown channel: %(c)s.") % {"c": ", ".join(unknown)},
            fields={"channel": [_("Choose from: %(c)s.") % {"c": ", ".join(Channel.values)}]},
        )
    sl_raw = str(params.get("sl_seconds") or "")
    sl_seconds = None
    if sl_raw:
        if whole_number(sl_raw) not in WAIT_BOUNDS:
            raise ValidationFailed(
                _("sl_seconds: one of %(b)s.") % {"b": ", ".join(map(str, WAIT_BOUNDS))},
                fields={"sl_seconds": [_("Not a kept threshold.")]},
            )
        sl_seconds = int(sl_raw)
    agents = _ints(params, "agent")
    teams = _ints(params, "team")
    if teams:  # the agents of these teams (and of `agent`, if given, only those in them)
        in_teams = set(AgentProfile.objects.filter(teams__in=teams).values_list("pk", flat=True))
        agents = tuple(sorted(in_teams & set(agents) if agents else in_teams)) or (-1,)  # -1: nobody
    return ReportQuery(
        slice=slice_,
        start=start,
        end=end,
        interval=interval,
        time_zone=settings.time_zone,
        queues=_ints(params, "queue"),
        agents=agents,
        channels=channels,
        sl_seconds=sl_seconds,
        days_time_zone=settings.days_time_zone,
    )


def _period_sql(interval: str) -> str:
    if interval == "15min":
        return "r.interval_start"
    if interval == "total":
        return "NULL::timestamptz"
    unit = {"hour": "hour", "day": "day", "week": "week", "month": "month"}[interval]
    # The local period's start, as a time in the zone, back to an instant.
    return f"(date_trunc('{unit}', r.interval_start AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s)"


def _grain(q: ReportQuery) -> str | None:
    """Which daily roll-up answers the query's whole days (None: only the 15-minute intervals can):
    days, weeks, months or totals, kept in the query's zone, and not an agent axis with a queue or a
    channel axis (the daily rows are per queue and channel, or per agent)."""
    if q.interval not in ("day", "week", "month", "total") or q.days_time_zone != q.time_zone:
        return None
    by_agent = q.slice == "agents" or bool(q.agents)
    by_queue = q.slice == "queues" or bool(q.queues)
    by_channel = q.slice == "channels" or bool(q.channels)
    if by_agent and (by_queue or by_channel):
        return None  # the agents' daily rows are per agent only
    return DayStat.Grain.AGENT if by_agent else DayStat.Grain.QUEUE


def _whole_days(q: ReportQuery) -> tuple[date, date] | None:
    """[first, end) local days lying wholly inside the range, or None."""
    tz = ZoneInfo(q.time_zone)
    start, end = q.start.astimezone(tz), q.end.astimezone(tz)
    first = start.date() if start.time() == time(0) else start.date() + timedelta(days=1)
    return (first, end.date()) if first < end.date() else None


@dataclass(frozen=True)
class _Source:
    """One table a report reads, with the period expression and the conditions of its share."""

    table: str
    period: str
    where: tuple[str, ...]
    params: dict[str, Any]


def _sources(q: ReportQuery) -> list[_Source]:
    """Whole local days from the daily roll-up where it can answer (`_grain`), the rest of the range
    from the 15-minute one: both are sums of the same intervals, so the figures are the same either way."""
    params: dict[str, Any] = {"start": q.start, "end": q.end, "tz": q.time_zone}
    where = ["r.interval_start >= %(start)s", "r.interval_start < %(end)s"]
    grain = _grain(q)
    days = _whole_days(q) if grain else None
    out = []
    if grain and days:
        first, end_day = days
        tz = ZoneInfo(q.time_zone)
        # The intervals of [first, end_day) come from the days; the rest of the range lies within two
        # hours of its ends (a bound for the index; the local date decides, as the days were made).
        where += [
            "((r.interval_start AT TIME ZONE %(tz)s)::date < %(first)s "
            "OR (r.interval_start AT TIME ZONE %(tz)s)::date >= %(end_day)s)",
            "(r.interval_start < %(head)s OR r.interval_start >= %(tail)s)",
        ]
        params.update(
            first=first,
            end_day=end_day,
            head=datetime.combine(first, time(0), tzinfo=tz) + timedelta(hours=2),
            tail=datetime.combine(end_day, time(0), tzinfo=tz) - timedelta(hours=2),
        )
        unit = {"day": "day", "week": "week", "month": "month"}.get(q.interval)
        period = f"(date_trunc('{unit}', r.day::timestamp) AT TIME ZONE %(tz)s)" if unit else "NULL::timestamptz"
        day_where = ("r.grain = %(grain)s", "r.day >= %(first)s", "r.day < %(end_day)s")
        out.append(_Source("reporting_daystat", period, day_where, {**params, "grain": grain}))
    out.append(_Source("reporting_intervalstat", _period_sql(q.interval), tuple(where), params))
    return out


def _where(q: ReportQuery, source: _Source) -> tuple[str, dict[str, Any]]:
    where = list(source.where)
    params = dict(source.params)
    if q.queues:
        where.append("r.queue_id = ANY(%(queues)s)")
        params["queues"] = list(q.queues)
    if q.agents:
        where.append("r.agent_id = ANY(%(agents)s)")
        params["agents"] = list(q.agents)
    if q.channels:
        where.append("r.channel = ANY(%(channels)s)")
        params["channels"] = list(q.channels)
    if q.slice == "agents":
        where.append("r.agent_id <> 0")  # what no agent took part in belongs to queues, not to agents
    if q.slice in ("queues", "channels"):
        where.append("r.channel <> ''")  # agents' presence time belongs to no queue or channel
    return " AND ".join(where), params


def _aggregate(q: ReportQuery, source: _Source) -> list[tuple[Any, Any, dict[str, Any]]]:
    key = SLICES[q.slice]
    where, params = _where(q, source)
    n = len(WAIT_BOUNDS)
    columns = [f"sum(r.{c})" for c in SUMMED] + [f"max(r.{c})" for c in MAXED]
    columns += [f"sum(r.answered_within[{i + 1}])" for i in range(n)]
    columns += [f"sum(r.abandoned_within[{i + 1}])" for i in range(n)]
    # The period as epoch seconds: read as a float, not parsed from text (45,000 rows: half a second).
    sql = (
        f"SELECT extract(epoch FROM {source.period})::float8 AS period, {key} AS key, {', '.join(columns)} "
        f"FROM {source.table} r WHERE {where} GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    periods: dict[float | None, datetime | None] = {None: None}
    summed, maxed = len(SUMMED), len(SUMMED) + len(MAXED)
    for row in rows:
        epoch = row[0]
        period = periods.get(epoch)
        if period is None and epoch is not None:
            period = periods[epoch] = datetime.fromtimestamp(epoch, UTC)
        values = row[2:]
        sums: dict[str, Any] = {
            name: convert(v or 0) for name, convert, v in zip(SUMMED, _CONVERT, values[:summed], strict=True)
        }
        for name, v in zip(MAXED, values[summed:maxed], strict=True):
            sums[name] = float(v or 0)
        sums["answered_within"] = [int(v or 0) for v in values[maxed : maxed + n]]
        sums["abandoned_within"] = [int(v or 0) for v in values[maxed + n :]]
        out.append((period, row[1], sums))
    return out


# Counts are whole; sums of seconds are not.
_CONVERT = tuple(int if "sum" not in name and "seconds" not in name else float for name in SUMMED)


def _merge(into: dict[tuple[Any, Any], dict[str, Any]], rows: list[tuple[Any, Any, dict[str, Any]]]) -> None:
    for period, key, sums in rows:
        have = into.get((period, key))
        if have is None:
            into[(period, key)] = sums
            continue
        for name in SUMMED:
            have[name] += sums[name]
        for name in MAXED:
            have[name] = max(have[name], sums[name])
        for name in ("answered_within", "abandoned_within"):
            have[name] = [a + b for a, b in zip(have[name], sums[name], strict=True)]


def report_sums(q: ReportQuery) -> list[tuple[Any, Any, dict[str, Any]]]:
    """(period start or None, slice key, sums) per period and slice, ordered."""
    merged: dict[tuple[Any, Any], dict[str, Any]] = {}
    for source in _sources(q):
        _merge(merged, _aggregate(q, source))
    return sorted(((p, k, s) for (p, k), s in merged.items()), key=lambda row: (row[0], row[1]))


def summed_up(rows: list[tuple[Any, Any, dict[str, Any]]]) -> list[tuple[Any, Any, dict[str, Any]]]:
    """Rows of one slice key over several periods, summed into one row of the whole range (the totals
    of a series without asking the database again)."""
    merged: dict[tuple[Any, Any], dict[str, Any]] = {}
    _merge(merged, [(None, key, {**sums, **{k: list(sums[k]) for k in ("answered_within", "abandoned_within")}})
                    for _period, key, sums in rows])  # fmt: skip
    return [(p, k, s) for (p, k), s in merged.items()]


def slice_keys(q: ReportQuery) -> list[Any]:
    """The slice's keys that have figures in the range (with the filters), in order."""
    key = SLICES[q.slice]
    found: set[Any] = set()
    with connection.cursor() as cursor:
        for source in _sources(q):
            where, params = _where(q, source)
            cursor.execute(f"SELECT DISTINCT {key} FROM {source.table} r WHERE {where}", params)
            found.update(row[0] for row in cursor.fetchall())
    return sorted(found)


# A page of a report holds at most this many rows: the slice's keys are paged, each with all its periods.
ROWS_PER_PAGE = 2000
PERIOD_SECONDS = {"15min": 900, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 28 * 86400}


@dataclass(frozen=True)
class Page:
    number: int
    pages: int
    keys_per_page: int


def paged(q: ReportQuery, page: Any) -> tuple[ReportQuery, Page]:
    """The query narrowed to one page of the slice's keys (so each page is summed on its own), and
    what the page is. A page past the last is an error that says how many there are."""
    raw = str(page or "1")
    if (whole_number(raw) or 0) < 1:
        raise ValidationFailed(_("page: a number from 1."), fields={"page": [_("A number from 1.")]})
    number = int(raw)
    periods = (
        1
        if q.interval == "total"
        else max(1, -(-int((q.end - q.start).total_seconds()) // PERIOD_SECONDS[q.interval]) + 1)
    )
    per_page = max(1, ROWS_PER_PAGE // periods)
    keys = slice_keys(q) if q.slice in ("queues", "agents") else None  # channels, total: a few keys at most
    count = len(keys) if keys is not None else 0
    pages = max(1, -(-count // per_page))
    if number > pages:
        raise ValidationFailed(
            _("page: 1 to %(n)d.") % {"n": pages}, fields={"page": [_("There are %(n)d pages.") % {"n": pages}]}
        )
    if keys is not None and count > per_page:
        mine = tuple(keys[(number - 1) * per_page : number * per_page])
        q = replace(q, agents=mine) if q.slice == "agents" else replace(q, queues=mine)
    return q, Page(number=number, pages=pages, keys_per_page=per_page)


def _names(q: ReportQuery, keys: set[Any]) -> dict[Any, dict[str, Any]]:
    if q.slice == "queues":
        found = dict(Queue.objects.filter(pk__in=keys).values_list("pk", "name"))
        return {
            k: {"id": k or None, "name": found.get(k) or (_("No queue") if k == 0 else _("Deleted queue"))}
            for k in keys
        }
    if q.slice == "agents":
        people = AgentProfile.objects.filter(pk__in=keys).values_list("pk", "user__full_name", "user__email")
        names = {pk: full or email.split("@")[0] for pk, full, email in people}  # User.display_name
        return {k: {"id": k, "name": names.get(k) or _("Deleted agent")} for k in keys}
    if q.slice == "total":
        return {k: {"id": k, "name": _("All")} for k in keys}
    labels = dict(Channel.choices)
    return {k: {"id": k, "name": str(labels.get(k, k))} for k in keys}


def report(
    q: ReportQuery, settings: ReportingSettings, given: list[tuple[Any, Any, dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """The report's rows: period (local ISO start, None for `total`), the slice and every metric (from
    the sums `given` when the caller has them: see `summed_up`)."""
    rows = report_sums(q) if given is None else given
    names = _names(q, {key for _p, key, _s in rows})
    tz = ZoneInfo(q.time_zone)
    slice_name = SLICE_NAMES[q.slice]
    # First-contact resolution is provisional while a resolution of the period may still be followed
    # by a new contact (its FCR_DAYS have not all passed).
    open_from = datetime.now(UTC) - timedelta(days=FCR_DAYS)
    out = []
    shown: dict[Any, tuple[str | None, bool]] = {}  # per period: its local ISO start, provisional
    for period, key, sums in rows:
        if period not in shown:
            end = q.end if period is None else min(q.end, period + PERIOD_AT_MOST[q.interval])
            shown[period] = (period.astimezone(tz).isoformat() if period is not None else None, end > open_from)
        iso, provisional = shown[period]
        out.append(
            {
                "period": iso,
                slice_name: names[key],
                **derive(sums, settings, sl_seconds=q.sl_seconds),
                "fcr_provisional": provisional,
            }
        )
    return out


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(tz_name)
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


# --- the wallboard ----------------------------------------------------------------------------------

_TODAY_SQL = """
SELECT s.queue_id,
       count(*) AS offered,
       count(*) FILTER (WHERE s.outcome = 'answered') AS answered,
       count(*) FILTER (WHERE s.outcome = 'abandoned') AS abandoned,
       count(*) FILTER (WHERE s.outcome = 'abandoned'
                        AND s.ended_at - s.started_at <= make_interval(secs => %(short)s)) AS short,
       count(*) FILTER (WHERE s.outcome = 'answered'
                        AND s.ended_at - s.started_at <= make_interval(secs => q.sla_seconds)) AS within
FROM inbox_segment s JOIN routing_queue q ON q.id = s.queue_id
WHERE s.kind = 'queue' AND s.started_at >= %(midnight)s
GROUP BY s.queue_id
"""

_WAITING_SQL = """
SELECT s.queue_id, s.interaction_id, s.channel, s.started_at
FROM inbox_segment s
WHERE s.kind = 'queue' AND s.ended_at IS NULL AND s.queue_id IS NOT NULL
ORDER BY s.started_at
"""

_WORK_SQL = """
SELECT s.agent_id, s.interaction_id, s.channel, s.started_at
FROM inbox_segment s
WHERE s.kind = 'handling' AND s.ended_at IS NULL AND s.agent_id IS NOT NULL
ORDER BY s.started_at
"""


def _service_level(row: dict[str, int], formula: str) -> float | None:
    answered, abandoned, short = row["answered"], row["abandoned"], row["short"]
    if formula == ReportingSettings.Formula.ANSWERED:
        base = answered
    elif formula == ReportingSettings.Formula.ABANDONED:
        base = answered + abandoned
    else:
        base = answered + abandoned - short
    return round(row["within"] / base * 100, 1) if base else None


def realtime_state() -> dict[str, Any]:
    """What the wallboard shows, from the record (open queue and handling segments, today's queue
    segments) and the presence history (each agent's open state): per queue waiting, the oldest
    waiting's start (the page counts the wait), EWT, today's offered / answered / abandoned and service
    level against the target, agents by state; per agent state, since when, reason, current work.
    Times are instants: the page ticks them without asking again."""
    from apps.agents.models import PresenceChange
    from apps.routing.selectors import estimated_wait_seconds

    from .models import QueueAlert

    settings = ReportingSettings.current()
    tz = ZoneInfo(settings.time_zone)
    now = datetime.now(tz)
    midnight = datetime.combine(now.date(), time(0), tzinfo=tz)
    with connection.cursor() as cursor:
        cursor.execute(_TODAY_SQL, {"midnight": midnight, "short": settings.short_abandon_seconds})
        today = {
            r[0]: dict(zip(("offered", "answered", "abandoned", "short", "within"), r[1:], strict=True))
            for r in cursor.fetchall()
        }
        cursor.execute(_WAITING_SQL)
        waiting: dict[int, list[dict[str, Any]]] = {}
        for queue_id, interaction_id, channel, started in cursor.fetchall():
            waiting.setdefault(queue_id, []).append(
                {"interaction_id": interaction_id, "channel": channel, "since": started.isoformat()}
            )
        cursor.execute(_WORK_SQL)
        work: dict[int, list[dict[str, Any]]] = {}
        for agent_id, interaction_id, channel, started in cursor.fetchall():
            work.setdefault(agent_id, []).append(
                {"interaction_id": interaction_id, "channel": channel, "since": started.isoformat()}
            )
    states = {
        p.agent_id: p
        for p in PresenceChange.objects.filter(ended_at__isnull=True).select_related("reason").order_by("started_at")
    }
    agents: list[dict[str, Any]] = []
    profiles = (
        AgentProfile.objects.select_related("user").filter(user__is_active=True).order_by("user__full_name", "pk")
    )
    for profile in profiles:
        current = states.get(profile.pk)
        state = current.state if current else "offline"
        shown = "busy" if state == "available" and work.get(profile.pk) else state
        agents.append(
            {
                "id": profile.pk,
                "name": profile.user.display_name,
                "state": shown,
                "reason": current.reason.name if current and current.reason else None,
                "since": current.started_at.isoformat() if current else None,
                "work": work.get(profile.pk, []),
            }
        )
    by_agent = {a["id"]: a for a in agents}
    alerts = dict(QueueAlert.objects.values_list("queue_id", "longest_wait_seconds"))
    queues = []
    for queue in Queue.objects.prefetch_related("members").order_by("name"):
        figures = today.get(queue.pk, {"offered": 0, "answered": 0, "abandoned": 0, "short": 0, "within": 0})
        members = [by_agent[m.pk] for m in queue.members.all() if m.pk in by_agent]
        counts: dict[str, int] = {"available": 0, "busy": 0, "away": 0, "wrap_up": 0, "offline": 0}
        reasons: dict[str, int] = {}
        for member in members:
            counts[member["state"]] = counts.get(member["state"], 0) + 1
            if member["state"] == "away":
                reasons[member["reason"] or ""] = reasons.get(member["reason"] or "", 0) + 1
        queued = waiting.get(queue.pk, [])
        queues.append(
            {
                "id": queue.pk,
                "name": queue.name,
                "waiting": len(queued),
                "oldest_since": queued[0]["since"] if queued else None,
                "waiting_list": queued[:50],
                "ewt_seconds": estimated_wait_seconds(queue, len(queued) + 1, "chat") if queued else 0,
                "offered": figures["offered"],
                "answered": figures["answered"],
                "abandoned": figures["abandoned"],
                "service_level": _service_level(figures, settings.service_level_formula),
                "sla_percent": queue.sla_percent,
                "sla_seconds": queue.sla_seconds,
                "longest_wait_alert_seconds": alerts.get(queue.pk),
                "agents": counts,
                "away_reasons": reasons,
                "members": [m["id"] for m in members],
            }
        )
    return {"at": now.isoformat(), "time_zone": settings.time_zone, "queues": queues, "agents": agents}


# --- drill-down: the interactions behind a number -------------------------------------------------

DRILLABLE = {
    "offered": "s.kind = 'queue'",
    "answered": "s.kind = 'queue' AND s.outcome = 'answered'",
    "abandoned": "s.kind = 'queue' AND s.outcome = 'abandoned'",
    "short_abandoned": "s.kind = 'queue' AND s.outcome = 'abandoned' "
    "AND s.ended_at - s.started_at <= make_interval(secs => %(short)s)",
    "flowed_out": "s.kind = 'queue' AND s.outcome = 'flowed_out'",
    "callbacks_requested": "s.kind = 'queue' AND s.outcome = 'callback_requested'",
    "handled": "s.kind = 'handling' AND s.ended_at IS NOT NULL AND coalesce(s.data ->> 'role', '') <> 'conference'",
    "transfers": "s.kind = 'transfer'",
}
DRILL_LIMIT = 200


def drill_down(q: ReportQuery, metric: str, settings: ReportingSettings) -> dict[str, Any]:
    """The segments a count of the report is made of (the same range, filters and booking: a segment
    counts where it began), newest first, with their interaction, contact, queue and agent."""
    if metric not in DRILLABLE:
        raise ValidationFailed(
            _("metric: one of %(m)s.") % {"m": ", ".join(DRILLABLE)}, fields={"metric": [_("Not a count.")]}
        )
    # The agent of a queue figure is the one who answered (as in the roll-up).
    agent = (
        "CASE WHEN jsonb_typeof(s.data -> 'agent') = 'number' THEN (s.data ->> 'agent')::int END"
        if DRILLABLE[metric].startswith("s.kind = 'queue'")
        else "s.agent_id"
    )
    where = [DRILLABLE[metric], "s.started_at >= %(start)s", "s.started_at < %(end)s"]
    params: dict[str, Any] = {"start": q.start, "end": q.end, "short": settings.short_abandon_seconds}
    if q.queues:
        where.append("coalesce(s.queue_id, 0) = ANY(%(queues)s)")
        params["queues"] = list(q.queues)
    if q.agents:
        where.append(f"coalesce({agent}, 0) = ANY(%(agents)s)")
        params["agents"] = list(q.agents)
    if q.channels:
        where.append("s.channel = ANY(%(channels)s)")
        params["channels"] = list(q.channels)
    sql = f"""
        SELECT s.interaction_id, s.channel, s.started_at, s.ended_at, s.outcome, s.queue_id, {agent} AS agent,
               i.contact_id, i.subject
        FROM inbox_segment s JOIN inbox_interaction i ON i.id = s.interaction_id
        WHERE {" AND ".join(where)}
        ORDER BY s.started_at DESC, s.id DESC LIMIT {DRILL_LIMIT + 1}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    queues = dict(Queue.objects.filter(pk__in={r[5] for r in rows if r[5]}).values_list("pk", "name"))
    agents = {
        p.pk: p.user.display_name
        for p in AgentProfile.objects.filter(pk__in={r[6] for r in rows if r[6]}).select_related("user")
    }
    tz = ZoneInfo(q.time_zone)
    items = []
    for interaction_id, channel, started, ended, outcome, queue_id, agent_id, contact_id, subject in rows[:DRILL_LIMIT]:
        items.append(
            {
                "interaction_id": interaction_id,
                "channel": channel,
                "at": started.astimezone(tz).isoformat(),
                "seconds": round((ended - started).total_seconds(), 1) if ended else None,
                "outcome": outcome or None,
                "queue": {"id": queue_id, "name": queues.get(queue_id)} if queue_id else None,
                "agent": {"id": agent_id, "name": agents.get(agent_id)} if agent_id else None,
                "contact_id": contact_id,
                "subject": subject,
                "journey": f"/contacts/{contact_id}/journey/" if contact_id else None,
            }
        )
    return {"metric": metric, "results": items, "more": len(rows) > DRILL_LIMIT}
