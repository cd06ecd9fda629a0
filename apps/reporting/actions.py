"""Writes of reporting: the roll-up of the interaction record into 15-minute intervals, and the
reporting settings.

The roll-up recomputes whole intervals from the segments (delete the interval's rows, insert them
again from the record, in one transaction under the tenant's roll-up lock), so running it twice counts
once and a late change (a wrap-up that ends an hour later, a handling that ends the next day) lands in
the interval where its segment started. Which intervals to recompute: those in which a segment began
or ended since the last run (indexes on `started_at` and `ended_at`), from a little before the last
run's start, so a transaction that committed late is not missed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import ValidationFailed

from .models import (
    FCR_DAYS,
    INTERVAL_MINUTES,
    WAIT_BOUNDS,
    DayStat,
    IntervalStat,
    ReportingSettings,
    validate_time_zone,
)

OVERLAP = timedelta(minutes=5)
STEP = timedelta(minutes=INTERVAL_MINUTES)
_ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
_BIN = f"date_bin('{INTERVAL_MINUTES} minutes', {{col}}, {_ORIGIN})"


def interval_of(at: datetime) -> datetime:
    """The start of the 15-minute interval `at` falls in (UTC-aligned)."""
    at = at.astimezone(UTC)
    minute = at.minute - at.minute % INTERVAL_MINUTES
    return at.replace(minute=minute, second=0, microsecond=0)


def _within(outcome: str, name: str) -> str:
    parts = [
        f"count(*) FILTER (WHERE s.kind = 'queue' AND s.outcome = '{outcome}' AND s.wait <= {b})" for b in WAIT_BOUNDS
    ]
    return f"ARRAY[{', '.join(parts)}]::int[] AS {name}"


# One statement recomputes the given intervals: every segment that started in them, booked by kind.
# `wait` is the queue segment's length (the wait is known once it ended; a queue still waiting is
# offered and nothing else yet).
_ROLL_UP = f"""
WITH seg AS (
    SELECT s.kind, s.outcome, s.channel, s.started_at, s.ended_at, s.queue_id, s.agent_id, s.data,
           {_BIN.format(col="s.started_at")} AS bin,
           extract(epoch FROM s.ended_at - s.started_at) AS wait
    FROM inbox_segment s
    WHERE s.started_at >= %(lo)s AND s.started_at < %(hi)s
      AND {_BIN.format(col="s.started_at")} = ANY(%(bins)s::timestamptz[])
), parts AS (
    SELECT s.bin, coalesce(s.queue_id, 0) AS queue_id,
           coalesce(CASE WHEN jsonb_typeof(s.data -> 'agent') = 'number'
                         THEN (s.data ->> 'agent')::int END, 0) AS agent_id,
           s.channel,
           count(*) AS offered,
           count(*) FILTER (WHERE s.outcome = 'answered') AS answered,
           count(*) FILTER (WHERE s.outcome = 'abandoned') AS abandoned,
           count(*) FILTER (WHERE s.outcome = 'flowed_out') AS flowed_out,
           count(*) FILTER (WHERE s.outcome = 'callback_requested') AS callbacks_requested,
           count(*) FILTER (WHERE s.outcome = 'answered' AND s.wait <= q.sla_seconds) AS answered_within_sla,
           coalesce(sum(s.wait) FILTER (WHERE s.outcome = 'answered'), 0) AS answered_wait_sum,
           coalesce(max(s.wait) FILTER (WHERE s.outcome = 'answered'), 0) AS answered_wait_max,
           coalesce(sum(s.wait) FILTER (WHERE s.outcome = 'abandoned'), 0) AS abandoned_wait_sum,
           coalesce(max(s.wait) FILTER (WHERE s.outcome = 'abandoned'), 0) AS abandoned_wait_max,
           {_within("answered", "answered_within")},
           {_within("abandoned", "abandoned_within")},
           0 AS handled, 0 AS talk_sum, 0 AS hold_sum, 0 AS held, 0 AS acw_count, 0 AS acw_sum,
           0 AS transfers, 0 AS transfers_to_queue, 0 AS transfers_to_agent, 0 AS transfers_warm,
           0 AS transfers_blind, 0 AS resolved, 0 AS csat_responses, 0 AS csat_sum, 0 AS fcr_resolved,
           0 AS fcr_repeat, 0 AS first_responses, 0 AS first_response_sum
    FROM seg s LEFT JOIN routing_queue q ON q.id = s.queue_id
    WHERE s.kind = 'queue'
    GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT s.bin, coalesce(s.queue_id, 0), coalesce(s.agent_id, 0), s.channel,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL,
           count(*) FILTER (WHERE s.kind = 'handling' AND s.ended_at IS NOT NULL),
           coalesce(sum((s.data ->> 'talk_seconds')::float)
                    FILTER (WHERE s.kind = 'handling' AND s.ended_at IS NOT NULL), 0),
           coalesce(sum((s.data ->> 'hold_seconds')::float)
                    FILTER (WHERE s.kind = 'handling' AND s.ended_at IS NOT NULL), 0),
           count(*) FILTER (WHERE s.kind = 'handling' AND (s.data ->> 'hold_seconds')::float > 0),
           count(*) FILTER (WHERE s.kind = 'acw' AND s.ended_at IS NOT NULL),
           coalesce(sum(s.wait) FILTER (WHERE s.kind = 'acw' AND s.ended_at IS NOT NULL), 0),
           count(*) FILTER (WHERE s.kind = 'transfer'),
           count(*) FILTER (WHERE s.kind = 'transfer' AND s.data ->> 'to_queue' IS NOT NULL
                                  AND s.data ->> 'to_agent' IS NULL),
           count(*) FILTER (WHERE s.kind = 'transfer' AND s.data ->> 'to_agent' IS NOT NULL),
           count(*) FILTER (WHERE s.kind = 'transfer' AND s.outcome = 'warm'),
           count(*) FILTER (WHERE s.kind = 'transfer' AND s.outcome = 'blind'),
           0, 0, 0, 0, 0, 0, 0
    FROM seg s
    WHERE s.ended_at IS NOT NULL
      AND ((s.kind = 'handling' AND coalesce(s.data ->> 'role', '') <> 'conference') OR s.kind IN ('acw', 'transfer'))
    GROUP BY 1, 2, 3, 4
    UNION ALL
    -- resolutions, to the agent who had the interaction, and first-contact resolution
    SELECT {_BIN.format(col="i.resolved_at")}, coalesce(i.queue_id, 0), coalesce(i.assigned_agent_id, 0),
           i.channel, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           count(*), 0, 0,
           count(*) FILTER (WHERE i.contact_id IS NOT NULL),
           count(*) FILTER (WHERE i.contact_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM inbox_interaction j
               WHERE j.contact_id = i.contact_id AND j.id <> i.id
                 AND j.created_at > i.resolved_at AND j.created_at <= i.resolved_at + interval '{FCR_DAYS} days')),
           0, 0
    FROM inbox_interaction i
    WHERE i.resolved_at >= %(lo)s AND i.resolved_at < %(hi)s
      AND {_BIN.format(col="i.resolved_at")} = ANY(%(bins)s::timestamptz[])
    GROUP BY 1, 2, 3, 4
    UNION ALL
    -- ratings, where the customer gave them
    SELECT {_BIN.format(col="i.csat_at")}, coalesce(i.queue_id, 0), coalesce(i.assigned_agent_id, 0),
           i.channel, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0, count(*), sum(i.csat_score), 0, 0, 0, 0
    FROM inbox_interaction i
    WHERE i.csat_at >= %(lo)s AND i.csat_at < %(hi)s AND i.csat_score IS NOT NULL
      AND {_BIN.format(col="i.csat_at")} = ANY(%(bins)s::timestamptz[])
    GROUP BY 1, 2, 3, 4
    UNION ALL
    -- first responses of written channels, where the first agent reply was written
    SELECT {_BIN.format(col="i.first_response_at")}, coalesce(i.queue_id, 0), coalesce(i.assigned_agent_id, 0),
           i.channel, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0, 0, 0, 0, 0, count(*), sum(greatest(extract(epoch FROM i.first_response_at - i.created_at), 0))
    FROM inbox_interaction i
    WHERE i.first_response_at >= %(lo)s AND i.first_response_at < %(hi)s AND i.channel IN ('chat', 'email')
      AND {_BIN.format(col="i.first_response_at")} = ANY(%(bins)s::timestamptz[])
    GROUP BY 1, 2, 3, 4
)
INSERT INTO reporting_intervalstat (
    interval_start, queue_id, agent_id, channel, offered, answered, abandoned, flowed_out, callbacks_requested,
    answered_within_sla, answered_wait_sum, answered_wait_max, abandoned_wait_sum, abandoned_wait_max,
    answered_within, abandoned_within, handled, talk_sum, hold_sum, held, acw_count, acw_sum, transfers,
    transfers_to_queue, transfers_to_agent, transfers_warm, transfers_blind, resolved, csat_responses, csat_sum,
    fcr_resolved, fcr_repeat, present_seconds, busy_seconds, first_responses, first_response_sum)
SELECT bin, queue_id, agent_id, channel, sum(offered), sum(answered), sum(abandoned), sum(flowed_out),
       sum(callbacks_requested), sum(answered_within_sla), sum(answered_wait_sum), max(answered_wait_max),
       sum(abandoned_wait_sum), max(abandoned_wait_max),
       coalesce(max(answered_within), %(zeros)s::int[]), coalesce(max(abandoned_within), %(zeros)s::int[]),
       sum(handled), sum(talk_sum), sum(hold_sum), sum(held), sum(acw_count), sum(acw_sum), sum(transfers),
       sum(transfers_to_queue), sum(transfers_to_agent), sum(transfers_warm), sum(transfers_blind), sum(resolved),
       sum(csat_responses), sum(csat_sum), sum(fcr_resolved), sum(fcr_repeat), 0, 0, sum(first_responses),
       sum(first_response_sum)
FROM parts GROUP BY bin, queue_id, agent_id, channel
"""

# Occupancy's time, split across the intervals it spans: per agent, the time available or in wrap-up
# (present) and, within it, the time with at least one handling open or in wrap-up (busy). Rows of
# their own (channel "", queue 0). Presence or handling still going on counts up to now.
_SPAN = "tstzrange(started_at, greatest(coalesce(ended_at, now()), started_at))"
_OCCUPANCY = f"""
WITH bins AS (SELECT unnest(%(bins)s::timestamptz[]) AS b),
pres AS (
    SELECT agent_id, range_agg({_SPAN}) AS m FROM agents_presencechange
    WHERE state IN ('available', 'wrap_up') AND started_at < %(hi)s AND coalesce(ended_at, now()) > %(lo)s
    GROUP BY agent_id
), work AS (
    SELECT agent_id, range_agg(span) AS m FROM (
        SELECT agent_id, {_SPAN} AS span FROM inbox_segment
        WHERE kind = 'handling' AND agent_id IS NOT NULL AND coalesce(data ->> 'role', '') <> 'conference'
          AND started_at < %(hi)s AND coalesce(ended_at, now()) > %(lo)s
        UNION ALL
        SELECT agent_id, {_SPAN} FROM agents_presencechange
        WHERE state = 'wrap_up' AND started_at < %(hi)s AND coalesce(ended_at, now()) > %(lo)s
    ) w GROUP BY agent_id
), cells AS (
    SELECT b.b, p.agent_id,
           p.m * tstzmultirange(tstzrange(b.b, b.b + interval '{INTERVAL_MINUTES} minutes')) AS present,
           coalesce(w.m, '{{{{}}}}'::tstzmultirange) * p.m
               * tstzmultirange(tstzrange(b.b, b.b + interval '{INTERVAL_MINUTES} minutes')) AS busy
    FROM bins b CROSS JOIN pres p LEFT JOIN work w ON w.agent_id = p.agent_id
)
INSERT INTO reporting_intervalstat ({{columns}})
SELECT b, 0, agent_id, '',
       (SELECT coalesce(sum(extract(epoch FROM upper(x) - lower(x))), 0) FROM unnest(present) x),
       (SELECT coalesce(sum(extract(epoch FROM upper(x) - lower(x))), 0) FROM unnest(busy) x),
       {{zeros}}
FROM cells WHERE NOT isempty(present)
"""
_OTHER_COLUMNS: list[str] = [
    f.column
    for f in IntervalStat._meta.concrete_fields
    if f.column not in {"id", "interval_start", "queue_id", "agent_id", "channel", "present_seconds", "busy_seconds"}
]
_OCCUPANCY_SQL = _OCCUPANCY.format(
    columns=", ".join(
        ["interval_start", "queue_id", "agent_id", "channel", "present_seconds", "busy_seconds", *_OTHER_COLUMNS]
    ),
    zeros=", ".join(
        "%(zeros)s::int[]" if c in {"answered_within", "abandoned_within"} else "0" for c in _OTHER_COLUMNS
    ),
)

_CHANGED = f"""
SELECT DISTINCT {_BIN.format(col="started_at")} FROM inbox_segment WHERE started_at >= %(since)s
UNION
SELECT DISTINCT {_BIN.format(col="started_at")} FROM inbox_segment WHERE ended_at >= %(since)s
UNION
SELECT DISTINCT {_BIN.format(col="resolved_at")} FROM inbox_interaction WHERE resolved_at >= %(since)s
UNION
SELECT DISTINCT {_BIN.format(col="csat_at")} FROM inbox_interaction WHERE csat_at >= %(since)s
UNION
SELECT DISTINCT {_BIN.format(col="first_response_at")} FROM inbox_interaction WHERE first_response_at >= %(since)s
UNION
-- a new contact from a customer changes the first-contact resolution of their last week's resolutions
SELECT DISTINCT {_BIN.format(col="p.resolved_at")}
FROM inbox_interaction n JOIN inbox_interaction p ON p.contact_id = n.contact_id AND p.id <> n.id
WHERE n.created_at >= %(since)s AND p.resolved_at >= n.created_at - interval '{FCR_DAYS} days'
  AND p.resolved_at < n.created_at
UNION
-- presence and handlings split their time across every interval they span
SELECT generate_series({_BIN.format(col="started_at")}, {_BIN.format(col="coalesce(ended_at, now())")},
                       interval '{INTERVAL_MINUTES} minutes')
FROM agents_presencechange WHERE started_at >= %(since)s AND state IN ('available', 'wrap_up')
UNION
SELECT generate_series({_BIN.format(col="started_at")}, {_BIN.format(col="coalesce(ended_at, now())")},
                       interval '{INTERVAL_MINUTES} minutes')
FROM agents_presencechange WHERE ended_at >= %(since)s AND state IN ('available', 'wrap_up')
UNION
SELECT generate_series({_BIN.format(col="started_at")}, {_BIN.format(col="coalesce(ended_at, now())")},
                       interval '{INTERVAL_MINUTES} minutes')
FROM inbox_segment WHERE kind = 'handling' AND ended_at >= %(since)s
UNION
-- what is still going on grows the interval now open, and the one just closed gets its last seconds
SELECT {_BIN.format(col="now()")}
UNION
SELECT {_BIN.format(col="now()")} - interval '{INTERVAL_MINUTES} minutes'
"""


def _lock() -> None:
    """One roll-up of this tenant at a time (beat's and a rebuild), for the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':reporting.roll_up'))")


def recompute_intervals(bins: list[datetime]) -> int:
    """Recompute these intervals from the record (inside the caller's transaction). Returns rows written."""
    if not bins:
        return 0
    bins = sorted(set(bins))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_intervalstat WHERE interval_start = ANY(%s::timestamptz[])", [bins])
        params: dict[str, Any] = {"bins": bins, "lo": bins[0], "hi": bins[-1] + STEP, "zeros": [0] * len(WAIT_BOUNDS)}
        cursor.execute(_ROLL_UP, params)
        written = int(cursor.rowcount)
        cursor.execute(_OCCUPANCY_SQL, params)
        return written + int(cursor.rowcount)


# --- the daily roll-up: each local day's intervals summed per (queue, channel) and (agent, channel) ------

_DAY_KEYS = {"id", "day", "grain", "queue_id", "agent_id", "channel"}
_DAY_FIGURES = [f.column for f in DayStat._meta.concrete_fields if f.column not in _DAY_KEYS]


def _day_sum(column: str) -> str:
    if column in {"answered_within", "abandoned_within"}:
        return "ARRAY[" + ", ".join(f"sum(r.{column}[{i + 1}])" for i in range(len(WAIT_BOUNDS))) + "]::int[]"
    if column.endswith("_max"):
        return f"max(r.{column})"
    return f"sum(r.{column})"


def _days_sql(grain: str, where: str) -> str:
    # Per queue and channel; per agent (every channel and their presence in one row: 500 agents over 90
    # days are 45,000 rows to sum, not 200,000).
    queue, agent, channel = (
        ("r.queue_id", "0", "r.channel") if grain == DayStat.Grain.QUEUE else ("0", "r.agent_id", "''")
    )
    return (
        f"INSERT INTO reporting_daystat (day, grain, queue_id, agent_id, channel, {', '.join(_DAY_FIGURES)}) "
        f"SELECT (r.interval_start AT TIME ZONE %(tz)s)::date, '{grain}', {queue}, {agent}, {channel}, "
        f"{', '.join(_day_sum(c) for c in _DAY_FIGURES)} FROM reporting_intervalstat r WHERE {where} "
        f"GROUP BY 1, 3, 4, 5"
    )


_ONE_DAY_SPAN = timedelta(hours=26)  # a local day around any of its instants, whatever the zone


def refresh_days(bins: list[datetime], time_zone: str) -> None:
    """The local days these intervals lie in, summed again from the intervals (inside the caller's
    transaction, after the intervals were recomputed)."""
    from zoneinfo import ZoneInfo

    if not bins:
        return
    tz = ZoneInfo(time_zone)
    days = sorted({b.astimezone(tz).date() for b in bins})
    params: dict[str, Any] = {
        "tz": time_zone,
        "days": days,
        "lo": min(bins) - _ONE_DAY_SPAN,
        "hi": max(bins) + _ONE_DAY_SPAN,
    }
    where = (
        "r.interval_start >= %(lo)s AND r.interval_start < %(hi)s "
        "AND (r.interval_start AT TIME ZONE %(tz)s)::date = ANY(%(days)s::date[])"
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_daystat WHERE day = ANY(%s::date[])", [days])
        for grain in DayStat.Grain.values:
            cursor.execute(_days_sql(grain, where), params)


def rebuild_days(time_zone: str) -> None:
    """Every local day again, in this zone (the tenant's zone changed, or the days were never kept)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_daystat")
        for grain in DayStat.Grain.values:
            cursor.execute(_days_sql(grain, "true"), {"tz": time_zone})


def do_roll_up(*, now: datetime | None = None) -> int:
    """Beat, every 15 s, in every tenant: the intervals the record changed in since the last run."""
    with transaction.atomic():
        _lock()
        settings = ReportingSettings.objects.select_for_update().order_by("pk").first() or ReportingSettings()
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            started = now or cursor.fetchone()[0]
            if settings.rolled_up_to is None:
                # First run: the whole record (a tenant's history is rolled up once, then incrementally).
                cursor.execute(
                    f"SELECT DISTINCT {_BIN.format(col='started_at')} FROM inbox_segment UNION "
                    f"SELECT DISTINCT {_BIN.format(col='resolved_at')} FROM inbox_interaction "
                    "WHERE resolved_at IS NOT NULL UNION "
                    f"SELECT DISTINCT {_BIN.format(col='csat_at')} FROM inbox_interaction WHERE csat_at IS NOT NULL"
                    f" UNION SELECT DISTINCT {_BIN.format(col='first_response_at')} FROM inbox_interaction"
                    " WHERE first_response_at IS NOT NULL"
                    " UNION SELECT generate_series("
                    f"{_BIN.format(col='started_at')}, {_BIN.format(col='coalesce(ended_at, now())')}, "
                    f"interval '{INTERVAL_MINUTES} minutes') FROM agents_presencechange "
                    "WHERE state IN ('available', 'wrap_up')"
                )
            else:
                cursor.execute(_CHANGED, {"since": settings.rolled_up_to - OVERLAP})
            bins = [row[0] for row in cursor.fetchall()]
        written = 0
        for chunk in _chunks(bins, 2000):
            written += recompute_intervals(chunk)
        if settings.days_time_zone != settings.time_zone:
            rebuild_days(settings.time_zone)
            settings.days_time_zone = settings.time_zone
        else:
            refresh_days(bins, settings.time_zone)
        settings.rolled_up_to = started
        settings.save()
    return written


def do_rebuild(*, since: datetime | None = None, until: datetime | None = None, days_per_step: int = 1) -> int:
    """Recompute every interval in [since, until) from the record (all of it: None), a day at a time,
    each in its own transaction. Safe while beat rolls up: both take the tenant's roll-up lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT least((SELECT min(started_at) FROM inbox_segment),"
            " (SELECT min(resolved_at) FROM inbox_interaction)),"
            " greatest((SELECT max(started_at) FROM inbox_segment),"
            " (SELECT max(resolved_at) FROM inbox_interaction), (SELECT max(csat_at) FROM inbox_interaction),"
            " (SELECT max(first_response_at) FROM inbox_interaction))"
        )
        first, last = cursor.fetchone()
    if first is None:
        return 0
    lo = interval_of(max(since, first) if since else first)
    hi = min(until, last + STEP) if until else last + STEP
    written = 0
    step = timedelta(days=days_per_step)
    start = lo
    while start < hi:
        end = min(start + step, hi)
        with transaction.atomic():
            _lock()
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM reporting_intervalstat WHERE interval_start >= %s AND interval_start < %s",
                    [start, end],
                )
            bins = []
            b = start
            while b < end:
                bins.append(b)
                b += STEP
            written += recompute_intervals(bins)
            settings = ReportingSettings.current()
            if settings.days_time_zone == settings.time_zone:  # else the next roll-up rebuilds every day
                refresh_days(bins, settings.time_zone)
        start = end
    return written


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def do_save_reporting_settings(
    actor: User | None,
    *,
    time_zone: Any = None,
    short_abandon_seconds: Any = None,
    service_level_formula: Any = None,
) -> ReportingSettings:
    errors: dict[str, list[str]] = {}
    if time_zone is not None:
        try:
            if not isinstance(time_zone, str):
                raise ValueError
            validate_time_zone(time_zone)
        except Exception:
            errors["time_zone"] = [_("An IANA time zone, e.g. Europe/Berlin or Asia/Shanghai.")]
    shorts = [b for b in WAIT_BOUNDS if b <= 60]
    if short_abandon_seconds is not None and short_abandon_seconds not in shorts:
        errors["short_abandon_seconds"] = [_("One of: %(s)s.") % {"s": ", ".join(map(str, shorts))}]
    if service_level_formula is not None and service_level_formula not in ReportingSettings.Formula.values:
        errors["service_level_formula"] = [_("One of: %(s)s.") % {"s": ", ".join(ReportingSettings.Formula.values)}]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    with transaction.atomic():
        current = ReportingSettings.objects.select_for_update().order_by("pk").first() or ReportingSettings()
        if time_zone is not None:
            current.time_zone = time_zone
        if short_abandon_seconds is not None:
            current.short_abandon_seconds = short_abandon_seconds
        if service_level_formula is not None:
            current.service_level_formula = service_level_formula
        current.save()
        record_audit(
            actor,
            "reporting.settings_saved",
            current,
            time_zone=current.time_zone,
            short_abandon_seconds=current.short_abandon_seconds,
            service_level_formula=current.service_level_formula,
        )
    return current


__all__ = [
    "IntervalStat",
    "do_rebuild",
    "do_roll_up",
    "do_save_reporting_settings",
    "rebuild_days",
    "recompute_intervals",
    "refresh_days",
]


# --- the wallboard: one computation per change, pushed to every open wallboard ---------------------

WALLBOARD_DEBOUNCE = 0.25  # seconds: changes that close together are one computation
WALLBOARD_WATCH_SECONDS = 60  # an open wallboard says so every 20 s; nobody watching: nothing computed


def wallboard_watch_key(schema: str) -> str:
    from apps.core.keys import redis_key

    return redis_key(schema, "wallboard", "watching")


def wallboard_group(schema: str) -> str:
    from apps.core.keys import group_name

    return group_name(schema, "wallboard")


def request_wallboard_refresh(schema: str) -> None:
    """After a change to the record or to an agent's presence (committed): compute the wallboard once
    soon, whatever the number of changes or of open wallboards. A Redis flag coalesces the requests;
    the task clears it before it reads, so a change during its work asks again."""
    from apps.core.keys import redis_key
    from apps.core.redis import get_redis

    redis = get_redis()
    if not redis.exists(wallboard_watch_key(schema)):
        return  # no wallboard is open in this tenant: nothing to compute
    if redis.set(redis_key(schema, "wallboard", "pending"), 1, nx=True, ex=10):
        from celery import current_app

        # By name: the task (reporting.tasks) calls into this module, not the other way round.
        current_app.send_task("reporting.publish_wallboard", args=(schema,), countdown=WALLBOARD_DEBOUNCE)


def do_publish_wallboard(schema: str) -> None:
    """The task's work, in the tenant: clear the flag, compute the state, send it to the group."""
    from apps.core.events import send_event_text
    from apps.core.keys import redis_key
    from apps.core.redis import get_redis

    from .selectors import realtime_state

    get_redis().delete(redis_key(schema, "wallboard", "pending"))
    # Encoded once here for every open board (a state is ~100 KB with 500 agents).
    send_event_text(schema, {"type": "wallboard.state", "state": realtime_state()}, [wallboard_group(schema)])


def on_record_change(sender: Any, **kwargs: Any) -> None:
    """post_save of a segment or a presence change (inbox and agents know nothing of it): the wallboard
    is computed again after the transaction commits. `robust`: Redis or the broker away never fails
    the action that changed the record (the board catches up with the next change)."""
    from apps.core.tenancy import current_schema

    schema = current_schema()
    transaction.on_commit(lambda: request_wallboard_refresh(schema), robust=True)


def do_set_queue_alert(actor: User | None, queue_id: Any, longest_wait_seconds: Any) -> Any:
    """When the wallboard colours the queue's tile for its longest wait (None: never)."""
    from apps.routing.models import Queue

    from .models import QueueAlert

    if longest_wait_seconds is not None and not (
        isinstance(longest_wait_seconds, int)
        and not isinstance(longest_wait_seconds, bool)
        and 1 <= longest_wait_seconds <= 86400
    ):
        raise ValidationFailed(
            _("Seconds from 1 to 86,400, or nothing."),
            fields={"longest_wait_seconds": [_("Seconds from 1 to 86,400, or nothing.")]},
        )
    queue = Queue.objects.filter(pk=queue_id).first() if isinstance(queue_id, int) else None
    if queue is None:
        from apps.core.errors import NotFound

        raise NotFound(_("No such queue."))
    with transaction.atomic():
        alert, _created = QueueAlert.objects.select_for_update().get_or_create(queue=queue)
        alert.longest_wait_seconds = longest_wait_seconds
        alert.save()
        record_audit(
            actor, "reporting.queue_alert_set", alert, queue=queue.pk, longest_wait_seconds=longest_wait_seconds
        )
        from apps.core.tenancy import current_schema

        schema = current_schema()
        transaction.on_commit(lambda: request_wallboard_refresh(schema), robust=True)
    return alert
