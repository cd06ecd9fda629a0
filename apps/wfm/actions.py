"""Writes of workforce management: the tenant's holidays and the forecast's overrides (planners:
supervisors and up; each with its audit row)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.accounts.audit import record_audit
from apps.accounts.models import User
from apps.core.errors import NotFound, ValidationFailed
from apps.core.validation import json_object
from apps.inbox.models import Channel
from apps.routing.models import Queue

from .models import ForecastOverride, Holiday


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def do_save_holiday(actor: User, data: Any) -> Holiday:
    data = json_object(data)
    try:
        day = parse_date(str(data.get("day") or ""))
    except ValueError:
        day = None
    if day is None:
        raise _fail("day", _("A date, YYYY-MM-DD."))
    raw_name = data.get("name")
    name = raw_name.strip() if isinstance(raw_name, str) else ""
    if not name or len(name) > 120:
        raise _fail("name", _("1 to 120 characters."))
    factor = data.get("factor", 0)
    if not isinstance(factor, int | float) or isinstance(factor, bool) or not 0 <= factor <= 2:
        raise _fail("factor", _("A share of a usual day, from 0 (closed) to 2."))
    with transaction.atomic():
        holiday, _created = Holiday.objects.update_or_create(day=day, defaults={"name": name, "factor": float(factor)})
        record_audit(actor, "wfm.holiday_saved", holiday, day=day.isoformat(), name=name, factor=factor)
    return holiday


def do_delete_holiday(actor: User, holiday_id: int) -> None:
    with transaction.atomic():
        holiday = Holiday.objects.select_for_update().filter(pk=holiday_id).first()
        if holiday is None:
            raise NotFound(_("No such holiday."))
        record_audit(actor, "wfm.holiday_deleted", holiday, day=holiday.day.isoformat())
        holiday.delete()


def do_set_override(actor: User, data: Any) -> ForecastOverride | None:
    """A planner's volume and/or handle time for one interval (both null: the override is removed)."""
    data = json_object(data)
    qid = data.get("queue")
    queue = Queue.objects.filter(pk=qid).first() if isinstance(qid, int) and not isinstance(qid, bool) else None
    if queue is None:
        raise _fail("queue", _("No such queue."))
    channel = data.get("channel") or ""
    if channel and channel not in Channel.values:
        raise _fail("channel", _("Choose from: %(c)s.") % {"c": ", ".join(Channel.values)})
    minutes = data.get("interval_minutes")
    if minutes not in (15, 30):
        raise _fail("interval_minutes", _("15 or 30."))
    try:
        start = parse_datetime(str(data.get("start") or ""))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None or (start.minute % minutes or start.second or start.microsecond):
        raise _fail("start", _("The start of an interval, with its zone (2026-12-07T09:30:00+08:00)."))
    values = {}
    for name, high in (("volume", 1_000_000), ("aht_seconds", 86_400)):
        value = data.get(name)
        if value is not None and (
            not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= high
        ):
            raise _fail(name, _("A number from 0 to %(n)d, or null.") % {"n": high})
        values[name] = None if value is None else float(value)
    key = {"queue": queue, "channel": channel, "start": start, "interval_minutes": minutes}
    with transaction.atomic():
        if values["volume"] is None and values["aht_seconds"] is None:
            ForecastOverride.objects.filter(**key).delete()
            record_audit(actor, "wfm.override_removed", queue, start=start.isoformat(), channel=channel)
            return None
        override, _created = ForecastOverride.objects.update_or_create(**key, defaults=values)
        record_audit(actor, "wfm.override_set", override, start=start.isoformat(), **values)
    return override
