"""Business hours in the queue's own time zone, across DST, with holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from apps.routing.hours import check_weekly, is_open

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        ("Asia/Shanghai", utc(2026, 11, 23, 0, 59), False),  # Monday 08:59 in Shanghai
        ("Asia/Shanghai", utc(2026, 11, 23, 1, 0), True),  # Monday 09:00 in Shanghai
        ("Asia/Shanghai", utc(2026, 11, 23, 9, 0), False),  # 17:00 closes
        ("Asia/Shanghai", utc(2026, 11, 22, 23, 30), False),  # Sunday 23:30 UTC is Monday 07:30 there
        ("America/New_York", utc(2026, 3, 6, 14, 0), True),  # Fri 09:00 EST (UTC-5)
        ("America/New_York", utc(2026, 3, 9, 13, 0), True),  # Mon 09:00 EDT (UTC-4), after the DST change
        ("America/New_York", utc(2026, 3, 9, 12, 30), False),  # Mon 08:30 EDT
        ("Europe/Berlin", utc(2026, 11, 21, 10, 0), False),  # Saturday
    ],
)
def test_open_in_the_queues_time_zone(tz: str, at: datetime, expected: bool) -> None:
    assert is_open(WEEKDAYS, tz, set(), at) is expected


def test_holidays_close_the_whole_local_day() -> None:
    christmas = {date(2026, 12, 25)}
    assert is_open(WEEKDAYS, "Europe/Berlin", christmas, utc(2026, 12, 25, 10, 0)) is False
    assert is_open(WEEKDAYS, "Europe/Berlin", christmas, utc(2026, 12, 24, 10, 0)) is True
    # 23:30 UTC on the 24th is already the 25th in Tokyo.
    assert (
        is_open(
            {"thu": [["00:00", "24:00"]], "fri": [["00:00", "24:00"]]},
            "Asia/Tokyo",
            christmas,
            utc(2026, 12, 24, 23, 30),
        )
        is False
    )


def test_bad_schedules_are_explained() -> None:
    assert check_weekly(WEEKDAYS) == []
    errors = check_weekly({"mon": [["18:00", "09:00"]], "funday": [], "tue": [["9am", "5pm"]], "wed": "all day"})
    assert any("18:00 is not before 09:00" in e for e in errors)
    assert any("Unknown day 'funday'" in e for e in errors)
    assert any("tue" in e and "HH:MM" in e for e in errors)
    assert any("wed" in e for e in errors)
