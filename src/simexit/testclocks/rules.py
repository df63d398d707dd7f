"""Where an advance takes a clock: pure, no clock of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simexit.errors import InvalidInput
from simexit.testclocks.errors import AdvanceTooFar, NotForward

# An advance beyond this is a typo rather than a test: ten years of scans in one call.
MAX_ADVANCE = timedelta(days=3660)


def advance_target(frozen: datetime, *, to: datetime | None, days: int | None) -> datetime:
    """The clock's new time: `to`, or `days` after `frozen`; exactly one of them, forward only."""
    if (to is None) == (days is None):
        raise InvalidInput("give exactly one of 'to' and 'days'", field="body.to", rule="one_of")
    if to is None:
        if days is None or days <= 0:
            raise NotForward(
                "days must be at least 1: a test clock only moves forward",
                field="body.days",
                rule="positive",
            )
        if timedelta(days=days) > MAX_ADVANCE:
            raise _too_far("body.days")
        try:
            target = frozen + timedelta(days=days)
        except OverflowError:  # past the year 9999
            raise _too_far("body.days") from None
    else:
        if to.tzinfo is None:
            raise InvalidInput(
                "'to' needs a time zone (e.g. 2026-12-17T09:00:00Z)",
                field="body.to",
                rule="timezone_required",
            )
        target = to.astimezone(UTC)
        if target <= frozen:
            raise NotForward(
                f"'to' must be after the clock's time {frozen.isoformat()}: a test clock only "
                "moves forward",
                field="body.to",
                rule="after_frozen_time",
                frozen_time=frozen.isoformat(),
            )
        if target - frozen > MAX_ADVANCE:
            raise _too_far("body.to")
    return target


def _too_far(field: str) -> AdvanceTooFar:
    return AdvanceTooFar(
        f"an advance is at most {MAX_ADVANCE.days} days", field=field, rule="max_advance"
    )
