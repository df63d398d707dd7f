"""Business days from `holidays`: Norway, Russia (moved working Saturdays), US states."""

from __future__ import annotations

from datetime import date

import pytest

from simexit.clock import utc_now
from simexit.config import Settings
from simexit.policies import business_days
from simexit.policies.business_days import (
    UnknownCalendarError,
    add_business_days,
    check_calendar,
    is_business_day,
)
from simexit.runtime import Runtime


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


class TestPrepare:
    """A server builds its calendars when it starts; the first request then finds them built."""

    def test_prepared_years_are_not_built_again(self) -> None:
        business_days._year.cache_clear()
        business_days.prepare("NO", [2031, 2032])
        built = business_days._year.cache_info().misses
        assert business_days.is_business_day(date(2031, 5, 17), "NO") is False  # Constitution Day
        assert business_days.is_business_day(date(2032, 1, 2), "NO") is True
        assert business_days._year.cache_info().misses == built

    def test_the_runtime_prepares_every_pack_calendar_for_this_year_and_the_next(self) -> None:
        runtime = Runtime(Settings())
        calendars = runtime.packs.calendars()
        assert {"NO", "RU"} <= calendars
        assert any(name.startswith("US") for name in calendars)
        business_days._year.cache_clear()
        runtime.warm_up()
        built = business_days._year.cache_info().misses
        year = utc_now().year
        for calendar in calendars:
            business_days.is_business_day(date(year, 6, 1), calendar)
            business_days.is_business_day(date(year + 1, 1, 2), calendar)
        assert business_days._year.cache_info().misses == built
