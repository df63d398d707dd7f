"""Business days from `holidays`: Norway, Russia (moved working Saturdays), US states."""

from __future__ import annotations

from datetime import date

import pytest

from simexit.policies.business_days import (
    UnknownCalendarError,
    add_business_days,
    check_calendar,
    is_business_day,
)


@pytest.mark.parametrize(
    ("day", "calendar", "expected"),
    [
        (date(2025, 5, 17), "NO", False),  # Constitution Day (a Saturday anyway)
        (date(2025, 4, 17), "NO", False),  # Maundy Thursday
        (date(2025, 4, 22), "NO", True),
        (date(2025, 11, 1), "RU", True),  # a Saturday moved to a working day
        (date(2025, 11, 3), "RU", False),  # the day off it paid for
        (date(2025, 1, 8), "RU", False),  # New Year block
        (date(2025, 3, 31), "US-CA", False),  # Cesar Chavez Day
        (date(2025, 3, 31), "US", True),
        (date(2025, 11, 28), "US-CA", False),  # Day after Thanksgiving in California
        (date(2025, 7, 4), "holidays:US", False),
    ],
)
def test_is_business_day(day: date, calendar: str, expected: bool) -> None:
    assert is_business_day(day, calendar) is expected


@pytest.mark.parametrize(
    ("start", "days", "calendar", "expected"),
    [
        (date(2025, 10, 31), 2, "RU", date(2025, 11, 5)),  # Sat 1 Nov works, Mon 3 Nov is off
        (date(2025, 4, 14), 3, "NO", date(2025, 4, 22)),  # Easter: 15, 16, then 22
        (date(2025, 3, 28), 1, "US-CA", date(2025, 4, 1)),
        (date(2025, 3, 28), 1, "US", date(2025, 3, 31)),
        (date(2025, 12, 24), 0, "NO", date(2025, 12, 24)),
        (date(2025, 12, 25), 0, "NO", date(2025, 12, 29)),
    ],
)
def test_add_business_days(start: date, days: int, calendar: str, expected: date) -> None:
    assert add_business_days(start, days, calendar) == expected


def test_unknown_calendars_are_refused() -> None:
    with pytest.raises(UnknownCalendarError):
        check_calendar("SE")
    with pytest.raises(UnknownCalendarError):
        check_calendar("US-ZZ")
    with pytest.raises(ValueError, match="days must be"):
        add_business_days(date(2025, 1, 1), -1, "NO")
