"""Make and advance a sandbox operator's test clock. One clock per operator: everything the
operator does reads one time, so two clocks could only disagree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.audit import service as audit
from simexit.errors import InvalidInput
from simexit.models import TestClock
from simexit.operators import clocks as operator_clocks
from simexit.principals import Actor
from simexit.testclocks import repository, rules
from simexit.testclocks.errors import NotSandbox, TestClockExists


@dataclass(frozen=True, slots=True)
class Advance:
    clock: TestClock
    moved_from: datetime


def _operator_of(actor: Actor) -> uuid.UUID:
    require_admin(actor)
    if actor.operator_id is None:
        raise InvalidInput("a test clock belongs to one operator", field="operator")
    return actor.operator_id


def _require_sandbox(session: Session, operator_id: uuid.UUID) -> None:
    if not operator_clocks.is_sandbox(session, operator_id):
        raise NotSandbox(
            "this operator is not a sandbox: its time is the real time and cannot be moved",
            field="operator",
        )


def create_clock(
    session: Session,
    *,
    actor: Actor,
    now: datetime,
    name: str,
    frozen_time: datetime | None = None,
    request_id: str | None = None,
) -> TestClock:
    """A clock for the caller's sandbox operator, frozen at `frozen_time` (default `now`)."""
    operator_id = _operator_of(actor)
    _require_sandbox(session, operator_id)
    if repository.clock_of_operator(session, operator_id) is not None:
        raise TestClockExists(
            "this operator already has a test clock; advance it instead", field="operator"
        )
    if frozen_time is not None and frozen_time.tzinfo is None:
        raise InvalidInput(
            "'frozen_time' needs a time zone", field="body.frozen_time", rule="timezone_required"
        )
    start = (frozen_time or now).astimezone(UTC)
    clock = TestClock(
        id=uuid.uuid4(),
        operator_id=operator_id,
        name=name,
        frozen_time=start,
        created_at=now,
        status="ready",
    )
    session.add(clock)
    session.flush()
    audit.record(
        session,
        operator_id=operator_id,
        actor=actor,
        action="test_clock.created",
        subject_type="test_clock",
        subject_id=clock.id,
        at=now,
        changes={"frozen_time": start.isoformat(), "name": name},
        request_id=request_id,
    )
    operator_clocks.forget(session)
    return clock


def show_clock(session: Session, *, actor: Actor, clock_id: uuid.UUID) -> TestClock:
    return repository.get_clock(session, operator_id=_operator_of(actor), clock_id=clock_id)


def advance_clock(
    session: Session,
    *,
    actor: Actor,
    clock_id: uuid.UUID,
    now: datetime,
    to: datetime | None = None,
    days: int | None = None,
    request_id: str | None = None,
) -> Advance:
    """Move the clock forward (only forward), with an audit row `test_clock.advanced` from/to.

    `now` is the wall clock's: the audit row of the advance is written at the clock's new time,
    as everything the advance then sets off is."""
    operator_id = _operator_of(actor)
    _require_sandbox(session, operator_id)
    clock = repository.get_clock(
        session, operator_id=operator_id, clock_id=clock_id, for_update=True
    )
    moved_from = clock.frozen_time
    target = rules.advance_target(moved_from, to=to, days=days)
    clock.frozen_time = target
    audit.record(
        session,
        operator_id=operator_id,
        actor=actor,
        action="test_clock.advanced",
        subject_type="test_clock",
        subject_id=clock.id,
        at=target,
        changes={"frozen_time": [moved_from.isoformat(), target.isoformat()]},
        note=f"wall clock {now.isoformat()}",
        request_id=request_id,
    )
    return Advance(clock, moved_from)
