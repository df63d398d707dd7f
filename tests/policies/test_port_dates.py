"""The dates of a completed port-out: the port's actual day replaces the planned one."""

from __future__ import annotations

from datetime import date

import pytest

from simexit.policies.dates import port_completion_dates

PORTED = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("planned_effective", "planned_billing_end", "cycle_day", "expected"),
    [
        # Billed to the port (Norway, a prepaid line): both dates are the port's day.
        (date(2026, 11, 21), date(2026, 11, 21), None, (PORTED, PORTED)),
        # Billed to the end of the cycle (the pack's donor_billing_until): the cycle the port
        # fell in, not the planned one.
        (date(2026, 12, 2), date(2026, 12, 14), 15, (PORTED, date(2026, 12, 14))),
        (date(2026, 11, 2), date(2026, 11, 30), 1, (PORTED, date(2026, 11, 30))),
        # A case frozen without dates: billed to the port.
        (None, None, 15, (PORTED, PORTED)),
    ],
)
def test_port_completion_dates(
    planned_effective: date | None,
    planned_billing_end: date | None,
    cycle_day: int | None,
    expected: tuple[date, date],
) -> None:
    assert (
        port_completion_dates(
            ported_on=PORTED,
            planned_effective=planned_effective,
            planned_billing_end=planned_billing_end,
            cycle_day=cycle_day,
        )
        == expected
    )
