"""Reads of workforce management: staffing requirements (pure computation, `erlang`), the input checked
first so a bad value names its field."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed
from apps.core.validation import json_object

from .erlang import Staffing, staffing

MAX_INTERVALS = 2016  # four weeks of 15-minute intervals


def _number(
    data: dict[str, Any], name: str, low: float, high: float, *, default: Any = None, low_open: bool = False
) -> Any:
    value = data.get(name, default)
    if value is None:
        return None
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and -1e12 < value < 1e12  # a huge integer never reaches float arithmetic
        and math.isfinite(value)
    )
    if ok and (value > low if low_open else value >= low) and value <= high:
        return float(value)
    bound = ">" if low_open else ">="
    raise ValidationFailed(
        _("%(p)s: a number %(b)s %(low)s and at most %(high)s.") % {"p": name, "b": bound, "low": low, "high": high},
        fields={name: [_("A number %(b)s %(low)s and at most %(high)s.") % {"b": bound, "low": low, "high": high}]},
    )


def staffing_request(data: Any) -> list[Staffing]:
    """`POST /api/v1/wfm/staffing`'s body: one interval's `volume` and `aht_seconds`, or `intervals`, a
    list of {volume, aht_seconds}, with the targets shared. Percentages are 0-100."""
    data = json_object(data)
    errors: dict[str, list[str]] = {}
    shared: dict[str, Any] = {}
    specs = {
        "interval_minutes": (1, 1440, None, False),
        "target_service_level": (0, 99.99, None, True),
        "target_seconds": (0, 3600, None, False),
        "max_occupancy": (0, 100, 100, True),
        "shrinkage": (0, 99, 0, False),
        "patience_seconds": (0, 86400, None, True),
    }
    for name, (low, high, default, low_open) in specs.items():
        try:
            shared[name] = _number(data, name, low, high, default=default, low_open=low_open)
        except ValidationFailed as exc:
            errors.update(exc.fields or {})
    for name in ("interval_minutes", "target_service_level", "target_seconds"):
        if shared.get(name) is None and name not in errors:
            errors[name] = [_("Required.")]
    raw = data.get("intervals")
    if raw is None:
        raw = [{"volume": data.get("volume"), "aht_seconds": data.get("aht_seconds")}]
    elif not isinstance(raw, list) or not 1 <= len(raw) <= MAX_INTERVALS:
        errors["intervals"] = [_("A list of 1 to %(n)d intervals.") % {"n": MAX_INTERVALS}]
        raw = []
    intervals = []
    for n, item in enumerate(raw):
        prefix = "" if data.get("intervals") is None else f"intervals[{n}]."
        if not isinstance(item, dict):
            errors[f"{prefix}volume"] = [_("An object with volume and aht_seconds.")]
            continue
        got: dict[str, float] = {}
        for name, high, low_open in (("volume", 1_000_000, False), ("aht_seconds", 86_400, True)):
            try:
                value = _number(item, name, 0, high, low_open=low_open)
            except ValidationFailed as exc:
                for field, messages in (exc.fields or {}).items():
                    errors[f"{prefix}{field}"] = messages
                continue
            if value is None:
                errors[f"{prefix}{name}"] = [_("Required.")]
            else:
                got[name] = value
        if len(got) == 2:
            intervals.append((got["volume"], got["aht_seconds"]))
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    out = []
    for volume, aht in intervals:
        try:
            out.append(
                staffing(
                    volume=volume,
                    interval_minutes=shared["interval_minutes"],
                    aht_seconds=aht,
                    target_service_level=shared["target_service_level"] / 100,
                    target_seconds=shared["target_seconds"],
                    max_occupancy=shared["max_occupancy"] / 100,
                    shrinkage=shared["shrinkage"] / 100,
                    patience_seconds=shared["patience_seconds"],
                )
            )
        except (ValueError, ArithmeticError):
            raise ValidationFailed(
                _("This needs more than 100,000 agents in an interval: check the volume and AHT."),
                fields={"volume": [_("Too much work for one interval.")]},
            ) from None
    return out


def staffing_json(result: Staffing) -> dict[str, Any]:
    """Percentages 0-100, rounded as a person reads them."""
    data = asdict(result)
    for name in ("service_level", "occupancy", "probability_of_waiting", "abandon_rate"):
        if data[name] is not None:
            data[name] = round(data[name] * 100, 2)
    data["asa_seconds"] = round(data["asa_seconds"], 1)
    data["offered_erlangs"] = round(data["offered_erlangs"], 3)
    if data["abandon_rate"] is None:
        del data["abandon_rate"]
    return data


def forecast_request(params: Any) -> dict[str, Any]:
    """`GET /api/v1/wfm/forecast`'s query checked, then the forecast (see `forecast`)."""
    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from django.utils.dateparse import parse_date

    from apps.inbox.models import Channel
    from apps.routing.models import Queue

    from .forecast import forecast
    from .models import ForecastOverride, Holiday

    errors: dict[str, list[str]] = {}
    raw_queue = str(params.get("queue") or "")
    queue = Queue.objects.filter(pk=int(raw_queue)).first() if raw_queue.isascii() and raw_queue.isdigit() else None
    if queue is None:
        errors["queue"] = [_("No such queue.")]
    channel = str(params.get("channel") or "") or None
    if channel and channel not in Channel.values:
        errors["channel"] = [_("Choose from: %(c)s.") % {"c": ", ".join(Channel.values)}]
    time_zone = str(params.get("time_zone") or "UTC")
    try:
        tz = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = [_("An IANA time zone, e.g. Europe/Berlin or Asia/Shanghai.")]
        tz = ZoneInfo("UTC")
    raw_from = str(params.get("from") or "")
    try:
        first = parse_date(raw_from) if raw_from else datetime.now(tz).date() + timedelta(days=1)
    except ValueError:
        first = None
    if first is None:
        errors["from"] = [_("A date, YYYY-MM-DD.")]
    raw_days, raw_minutes = str(params.get("days") or "7"), str(params.get("interval_minutes") or "30")
    days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() and 1 <= int(raw_days) <= 28 else None
    if days is None:
        errors["days"] = [_("1 to 28.")]
    minutes = int(raw_minutes) if raw_minutes in ("15", "30") else None
    if minutes is None:
        errors["interval_minutes"] = [_("15 or 30.")]
    if errors:
        raise ValidationFailed(_("Please correct the errors below."), fields=errors)
    assert queue is not None and isinstance(first, date) and days is not None and minutes is not None
    holidays = {h.day: h.factor for h in Holiday.objects.all()}
    overrides = {
        o.start: (o.volume, o.aht_seconds)
        for o in ForecastOverride.objects.filter(queue=queue, channel=channel or "", interval_minutes=minutes)
    }
    result = forecast(queue.pk, channel, first, days, minutes, time_zone, holidays, overrides)
    return {"queue": queue.pk, "channel": channel, "interval_minutes": minutes, "time_zone": time_zone, **result}
