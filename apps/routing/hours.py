"""Business hours: is a queue open at a given instant, in its own time zone, holidays included."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _t(text: str) -> time:
    if text == "24:00":
        return time.max
    h, m = text.split(":")
    return time(int(h), int(m))


def check_weekly(weekly: Any) -> list[str]:
    """Problems with a weekly schedule, as messages (empty when fine)."""
    if not isinstance(weekly, dict):
        return [_('Use {"mon": [["09:00", "17:00"]], ...}.')]
    errors = []
    for day, spans in weekly.items():
        if day not in DAYS:
            errors.append(_("Unknown day '%(day)s': use %(days)s.") % {"day": day, "days": ", ".join(DAYS)})
            continue
        if not isinstance(spans, list):
            errors.append(_("%(day)s: give a list of [open, close] pairs.") % {"day": day})
            continue
        for span in spans:
            if not (
                isinstance(span, list) and len(span) == 2 and all(isinstance(x, str) and _HHMM.match(x) for x in span)
            ):
                errors.append(_('%(day)s: %(span)s is not ["HH:MM", "HH:MM"].') % {"day": day, "span": repr(span)})
            elif _t(span[0]) >= _t(span[1]):
                errors.append(
                    _("%(day)s: %(open)s is not before %(close)s; split overnight hours across days.")
                    % {"day": day, "open": span[0], "close": span[1]}
                )
    return errors


def is_open(weekly: dict[str, list[list[str]]], tz: str, holidays: set[Any], at: datetime) -> bool:
    """`at` is aware. Opening hours are read in the queue's own time zone (DST handled by zoneinfo)."""
    local = at.astimezone(ZoneInfo(tz))
    if local.date() in holidays:
        return False
    now = local.time()
    return any(_t(start) <= now < _t(end) for start, end in weekly.get(DAYS[local.weekday()], []))
