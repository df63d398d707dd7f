"""Test-clock queries, scoped to the caller's operator."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.models import TestClock
from simexit.testclocks.errors import TestClockNotFound


def get_clock(
    session: Session, *, operator_id: uuid.UUID, clock_id: uuid.UUID, for_update: bool = False
) -> TestClock:
    """The operator's clock; another operator's is not found, exactly as a missing one."""
    statement = select(TestClock).where(
        TestClock.id == clock_id, TestClock.operator_id == operator_id
    )
    if for_update:
        statement = statement.with_for_update()
    clock = session.scalars(statement).first()
    if clock is None:
        raise TestClockNotFound("no test clock with this id", field="clock_id")
    return clock


def clock_of_operator(session: Session, operator_id: uuid.UUID) -> TestClock | None:
    return session.scalars(select(TestClock).where(TestClock.operator_id == operator_id)).first()
