"""Where an advance takes a clock: forward only, exactly one of `to` and `days`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simexit.errors import InvalidInput
from simexit.testclocks.errors import NotForward
from simexit.testclocks.rules import MAX_ADVANCE, advance_target

FROZEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_days_move_forward_by_whole_days() -> None:
    assert advance_target(FROZEN, to=None, days=14) == FROZEN + timedelta(days=14)


def test_to_is_taken_in_utc() -> None:
    oslo = datetime.fromisoformat("2026-12-01T12:00:00+01:00")
    assert advance_target(FROZEN, to=oslo, days=None) == datetime(2026, 12, 1, 11, tzinfo=UTC)


@pytest.mark.parametrize("to", [FROZEN, FROZEN - timedelta(seconds=1)])
def test_not_forward_names_the_field_and_rule(to: datetime) -> None:
    with pytest.raises(NotForward) as refused:
        advance_target(FROZEN, to=to, days=None)
    assert refused.value.field == "body.to"
    assert refused.value.context["rule"] == "after_frozen_time"
    assert refused.value.status == 422


def test_days_must_be_positive() -> None:
    with pytest.raises(NotForward) as refused:
        advance_target(FROZEN, to=None, days=0)
    assert refused.value.field == "body.days"


@pytest.mark.parametrize(("to", "days"), [(None, None), (FROZEN + timedelta(days=1), 1)])
def test_exactly_one_of_to_and_days(to: datetime | None, days: int | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        advance_target(FROZEN, to=to, days=days)
    assert refused.value.context["rule"] == "one_of"


def test_a_naive_time_and_a_huge_jump_are_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        advance_target(FROZEN, to=datetime(2027, 1, 1), days=None)  # noqa: DTZ001 - the point
    with pytest.raises(InvalidInput) as refused:
        advance_target(FROZEN, to=None, days=MAX_ADVANCE.days + 1)
    assert refused.value.context["rule"] == "max_advance"
