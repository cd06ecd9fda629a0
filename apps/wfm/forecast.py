"""Forecast: contacts and handle time per queue (and channel) for 15- or 30-minute intervals, from the
interaction record.

The model is a weighted seasonal average: an interval's volume is the average of the same weekday and
time of day over the last `weeks` weeks (8), recent weeks weighing more (weight 0.8^age), times the
trend (the last two weeks against the two before, at most x1.5 and at least x0.7); its handle time is
the same weighted average of the handle times (talk + hold of the handlings that began in the interval,
plus the interaction's wrap-up). Holidays of the tenant's calendar are left out of the history and
scale the forecast of their own day (`factor`, 0 when closed). Accuracy: the same model forecasts the
last week of the history from the weeks before it; WAPE = sum |actual - forecast| / sum actual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

WEEKS = 8
DECAY = 0.8

_HISTORY = """
WITH h AS (
    SELECT s.interaction_id, date_bin(%(step)s, s.started_at, %(origin)s) AS bin,
           coalesce((s.data ->> 'talk_seconds')::float, 0) + coalesce((s.data ->> 'hold_seconds')::float, 0) AS th
    FROM inbox_segment s
    WHERE s.kind = 'handling' AND s.ended_at IS NOT NULL AND coalesce(s.data ->> 'role', '') <> 'conference'
      AND s.queue_id = %(queue)s AND s.started_at >= %(start)s AND s.started_at < %(end)s {channel}
), w AS (
    SELECT a.interaction_id, sum(extract(epoch FROM a.ended_at - a.started_at)) AS acw
    FROM inbox_segment a
    WHERE a.kind = 'acw' AND a.ended_at IS NOT NULL AND a.interaction_id IN (SELECT interaction_id FROM h)
    GROUP BY a.interaction_id
), offered AS (
    SELECT date_bin(%(step)s, s.started_at, %(origin)s) AS bin, count(*) AS n
    FROM inbox_segment s
    WHERE s.kind = 'queue' AND s.queue_id = %(queue)s AND s.started_at >= %(start)s AND s.started_at < %(end)s
      {channel}
    GROUP BY 1
), handled AS (
    SELECT h.bin, count(*) AS n, sum(h.th + coalesce(w.acw, 0)) AS seconds
    FROM h LEFT JOIN w ON w.interaction_id = h.interaction_id
    GROUP BY 1
)
SELECT coalesce(o.bin, d.bin), coalesce(o.n, 0), coalesce(d.n, 0), coalesce(d.seconds, 0)
FROM offered o FULL JOIN handled d ON d.bin = o.bin
"""


@dataclass(frozen=True)
class Interval:
    start: datetime
    volume: float
    aht_seconds: float | None


def history(
    queue_id: int, channel: str | None, start: datetime, end: datetime, minutes: int
) -> dict[datetime, tuple[int, int, float]]:
    """{interval start: (offered, handled, handle seconds)} from the record, [start, end)."""
    sql = _HISTORY.format(channel="AND s.channel = %(channel)s" if channel else "")
    params: dict[str, Any] = {
        "step": timedelta(minutes=minutes),
        "origin": datetime(2000, 1, 3, tzinfo=start.tzinfo),  # a Monday midnight
        "queue": queue_id,
        "channel": channel,
        "start": start,
        "end": end,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2]), float(row[3])) for row in cursor.fetchall()}


def _slots(day: date, minutes: int, tz: ZoneInfo) -> list[datetime]:
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    return [midnight + timedelta(minutes=minutes * k) for k in range(24 * 60 // minutes)]


def model(
    seen: dict[datetime, tuple[int, int, float]],
    first_day: date,
    days: int,
    minutes: int,
    tz: ZoneInfo,
    holidays: dict[date, float],
    weeks: int = WEEKS,
) -> list[Interval]:
    """The forecast of `days` days from `first_day`, from what was `seen` in the `weeks` before it."""
    local = {at.astimezone(tz).replace(tzinfo=None): v for at, v in seen.items()}

    def at(day: date, slot: int) -> tuple[int, int, float]:
        moment = datetime.combine(day, time(0)) + timedelta(minutes=minutes * slot)
        return local.get(moment, (0, 0, 0.0))

    per_day = 24 * 60 // minutes

    def week_total(k: int) -> float:
        start = first_day - timedelta(weeks=k)
        return sum(at(start + timedelta(days=d), s)[0] for d in range(7) for s in range(per_day))

    recent, before = week_total(1) + week_total(2), week_total(3) + week_total(4)
    trend = min(1.5, max(0.7, recent / before)) if before else 1.0
    out = []
    for d in range(days):
        day = first_day + timedelta(days=d)
        factor = holidays.get(day, 1.0)
        # The same weekday in each of the weeks before the forecast (never inside it), holidays left out.
        base = first_day + timedelta(days=d % 7)
        same = [(DECAY ** (k - 1), base - timedelta(weeks=k)) for k in range(1, weeks + 1)]
        same = [(w, x) for w, x in same if x not in holidays]
        for slot, start in enumerate(_slots(day, minutes, tz)):
            weights = sum(w for w, _x in same)
            volume = sum(w * at(x, slot)[0] for w, x in same) / weights if weights else 0.0
            handled = sum(w * at(x, slot)[1] for w, x in same)
            seconds = sum(w * at(x, slot)[2] for w, x in same)
            out.append(
                Interval(
                    start=start,
                    volume=round(volume * trend * factor, 2),
                    aht_seconds=round(seconds / handled, 1) if handled else None,
                )
            )
    return out


def wape(actual: list[float], forecast: list[float]) -> float | None:
    total = sum(actual)
    return round(sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / total * 100, 2) if total else None


def forecast(
    queue_id: int,
    channel: str | None,
    first_day: date,
    days: int,
    minutes: int,
    time_zone: str,
    holidays: dict[date, float],
    overrides: dict[datetime, tuple[float | None, float | None]] | None = None,
) -> dict[str, Any]:
    """The forecast with overrides laid on it, and its accuracy on the held-out last week."""
    tz = ZoneInfo(time_zone)
    start = datetime.combine(first_day - timedelta(weeks=WEEKS + 1), time(0), tzinfo=tz)
    end = datetime.combine(first_day, time(0), tzinfo=tz)
    seen = history(queue_id, channel, start, end, minutes)
    intervals = model(seen, first_day, days, minutes, tz, holidays)
    held_out = first_day - timedelta(weeks=1)
    checked = model(seen, held_out, 7, minutes, tz, holidays)
    actual = [float(seen.get(i.start, (0, 0, 0.0))[0]) for i in checked]
    rows = []
    for i in intervals:
        volume, aht = i.volume, i.aht_seconds
        changed = (overrides or {}).get(i.start)
        if changed is not None:
            volume = changed[0] if changed[0] is not None else volume
            aht = changed[1] if changed[1] is not None else aht
        rows.append(
            {
                "start": i.start.isoformat(),
                "volume": volume,
                "aht_seconds": aht,
                "overridden": changed is not None,
            }
        )
    return {
        "intervals": rows,
        "accuracy": {
            "wape_percent": wape(actual, [i.volume for i in checked]),
            "held_out_from": held_out.isoformat(),
            "held_out_to": (first_day - timedelta(days=1)).isoformat(),
        },
    }
