"""Calendar maths for notice periods and commitments. Pure; `today` is always passed in."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from simexit.policies.schema import EffectiveRule

ONE_DAY = timedelta(days=1)


def end_of_month(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def completed_months(start: date, on: date) -> int:
    """Whole months from `start` to `on` (0 if `on` is before `start`)."""
    if on <= start:
        return 0
    months = (on.year - start.year) * 12 + on.month - start.month
    if add_months(start, months) > on:
        months -= 1
    return max(months, 0)


def end_of_billing_cycle(d: date, cycle_day: int | None) -> date:
    """Last day of the billing cycle that contains `d`; cycles start on `cycle_day` each month."""
    if cycle_day is None or cycle_day == 1:
        return end_of_month(d)
    if d.day < cycle_day:
        return d.replace(day=cycle_day) - ONE_DAY
    return add_months(d.replace(day=cycle_day), 1) - ONE_DAY


def notice_end(
    rule: EffectiveRule,
    today: date,
    *,
    n_days: int | None,
    cycle_day: int | None,
    plan_expiry: date | None,
) -> date:
    """The date a termination notified on `today` takes effect under `rule`.

    `on_port_completion` cannot be known in advance; the caller treats `today` as the earliest.
    """
    if rule is EffectiveRule.next_day:
        return today + ONE_DAY
    if rule is EffectiveRule.end_of_billing_cycle:
        return end_of_billing_cycle(today, cycle_day)
    if rule is EffectiveRule.end_of_calendar_month:
        return end_of_month(today)
    if rule is EffectiveRule.one_calendar_month_from_first_of_next_month:
        first_of_next = end_of_month(today) + ONE_DAY
        return end_of_month(first_of_next)
    if rule is EffectiveRule.n_days:
        return today + timedelta(days=n_days or 0)
    if rule is EffectiveRule.plan_expiry:
        return plan_expiry if plan_expiry is not None and plan_expiry > today else today
    return today  # immediate, on_port_completion


def port_completion_dates(
    *,
    ported_on: date,
    planned_effective: date | None,
    planned_billing_end: date | None,
    cycle_day: int | None,
) -> tuple[date, date]:
    """(effective, billing end) of a port-out that completed on `ported_on`.

    The plan (the decision's dates) says whether the pack bills the donor line to the end of its
    billing cycle (`porting.donor_billing_until`: the planned billing end falls after the planned
    effective date) or to the port; the port's actual day replaces the planned one either way."""
    to_cycle_end = (
        planned_effective is not None
        and planned_billing_end is not None
        and planned_billing_end > planned_effective
    )
    if to_cycle_end:
        return ported_on, end_of_billing_cycle(ported_on, cycle_day)
    return ported_on, ported_on
