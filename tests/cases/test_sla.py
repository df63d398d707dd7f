"""The SLA clock: due at the end of the due day in the operator's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from simexit.cases.sla import sla_clock


class TestSlaClock:
    def test_no_due_date_runs_no_clock(self) -> None:
        assert (
            sla_clock(None, timezone="Europe/Oslo", now=datetime(2026, 12, 4, tzinfo=UTC)) is None
        )

    @pytest.mark.parametrize(
        ("timezone", "now", "left"),
        [
            # Oslo is UTC+1 in December: the 4th ends at 23:00 UTC.
            ("Europe/Oslo", datetime(2026, 12, 4, 20, 0, tzinfo=UTC), 3 * 3600),
            ("Europe/Moscow", datetime(2026, 12, 4, 20, 0, tzinfo=UTC), 3600),
            ("America/New_York", datetime(2026, 12, 4, 20, 0, tzinfo=UTC), 9 * 3600),
        ],
    )
    def test_counts_to_midnight_where_the_operator_is(
        self, timezone: str, now: datetime, left: int
    ) -> None:
        clock = sla_clock(date(2026, 12, 4), timezone=timezone, now=now)
        assert clock is not None
        assert clock.seconds_left == left
        assert not clock.overdue

    def test_days_hours_and_minutes_left_and_overdue(self) -> None:
        due = date(2026, 12, 10)
        ahead = sla_clock(due, timezone="UTC", now=datetime(2026, 12, 8, 13, 30, tzinfo=UTC))
        assert ahead is not None
        assert ahead.parts == (2, 10, 30)
        late = sla_clock(due, timezone="UTC", now=datetime(2026, 12, 11, 5, 15, tzinfo=UTC))
        assert late is not None
        assert late.overdue
        assert late.parts == (0, 5, 15)
