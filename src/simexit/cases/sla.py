"""The SLA clock of a case: how long until its answer is due, in the operator's own day.

An answer is due by the end of its due date where the operator is (`sla_due_date` is an operator
calendar date), so the clock runs to midnight at the start of the next day in that time zone.
Pure: the time zone is a name and `now` is passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class SlaClock:
    due_at: datetime  # the moment the answer is late, in the operator's time zone
    seconds_left: int  # negative once overdue

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def parts(self) -> tuple[int, int, int]:
        """(days, hours, minutes) of the time left, or of the time overdue."""
        minutes = abs(self.seconds_left) // 60
        return minutes // (24 * 60), minutes // 60 % 24, minutes % 60


def sla_clock(due: date | None, *, timezone: str, now: datetime) -> SlaClock | None:
    """The clock of an answer due on `due` (None: no clock runs)."""
    if due is None:
        return None
    zone = ZoneInfo(timezone)
    due_at = datetime.combine(due + timedelta(days=1), time(0, 0), tzinfo=zone)
    return SlaClock(due_at=due_at, seconds_left=int((due_at - now).total_seconds()))
