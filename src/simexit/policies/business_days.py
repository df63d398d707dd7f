"""Business days on a country's calendar, from the `holidays` package. Pure and cached.

A calendar is named `"NO"`, `"RU"`, `"US"` or `"US-CA"` (country, optionally a subdivision);
the `holidays:` prefix used in research notes is accepted too. Russia's government-moved working
Saturdays (`weekend_workdays`) count as business days, and its transferred days off do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

SUPPORTED_COUNTRIES = ("NO", "RU", "US")


class UnknownCalendarError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Year:
    days_off: frozenset[date]
    working_weekend_days: frozenset[date]
    weekend: frozenset[int]


def _split(calendar: str) -> tuple[str, str | None]:
    name = calendar.removeprefix("holidays:")
    country, _, subdiv = name.partition("-")
    return country, subdiv or None


@lru_cache(maxsize=64)
def check_calendar(calendar: str) -> str:
    """Return the normalised name, or raise `UnknownCalendarError` naming what is supported."""
    country, subdiv = _split(calendar)
    if country not in SUPPORTED_COUNTRIES:
        raise UnknownCalendarError(
            f"{calendar!r} is not one of {', '.join(SUPPORTED_COUNTRIES)} (optionally -SUBDIV)"
        )
    if subdiv is not None:
        supported = holidays.country_holidays(country).subdivisions
        if subdiv not in supported:
            raise UnknownCalendarError(
                f"{calendar!r}: {subdiv!r} is not a subdivision of {country}"
            )
    return country if subdiv is None else f"{country}-{subdiv}"


@lru_cache(maxsize=512)
def _year(calendar: str, year: int) -> _Year:
    country, subdiv = _split(check_calendar(calendar))
    table = holidays.country_holidays(country, subdiv=subdiv, years=year)
    return _Year(
        days_off=frozenset(table.keys()),
        working_weekend_days=frozenset(getattr(table, "weekend_workdays", ())),
        weekend=frozenset(table.weekend),
    )


def prepare(calendar: str, years: Iterable[int]) -> None:
    """Build `calendar`'s tables for `years` now. The `holidays` package builds a country's year
    on first use, which takes a good part of a second; a process that serves requests prepares
    its packs' calendars when it starts, so the first submission after a start does not pay."""
    for year in years:
        _year(calendar, year)


def is_business_day(d: date, calendar: str) -> bool:
    year = _year(calendar, d.year)
    if d in year.working_weekend_days:
        return True
    return d.weekday() not in year.weekend and d not in year.days_off


def add_business_days(start: date, days: int, calendar: str) -> date:
    """The `days`-th business day after `start` (`start` itself never counts).

    `days == 0` returns `start` if it is a business day, else the next business day, so a due
    date is always a day someone is at work.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    if days == 0:
        while not is_business_day(current, calendar):
            current += timedelta(days=1)
        return current
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(current, calendar):
            remaining -= 1
    return current
