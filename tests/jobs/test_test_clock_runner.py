"""The runner and the scans under a test clock: a clocked operator's jobs are due by its clock
and run at its time; everyone else's by the wall clock, as before."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.db import Database
from simexit.jobs import enqueue, job, run_pending
from simexit.jobs.runner import claim
from simexit.models import Job, TestClock
from simexit.operators import clocks as operator_clocks
from simexit.policies.loader import PackRegistry, load_registry
from simexit.testclocks.due import run_due_work
from tests.fixtures.factories import create_operator

SEEN_JOB = "tests.records_its_now"
seen: dict[str, datetime] = {}


@pytest.fixture(scope="module")
def packs() -> PackRegistry:
    return load_registry()


@job(SEEN_JOB)
def records_its_now(session: Session, *, now: datetime, key: str) -> None:
    seen[key] = now


def _operators(db: Database, packs: PackRegistry, frozen: datetime) -> tuple[uuid.UUID, uuid.UUID]:
    with db.session() as session:
        clocked = create_operator(session, packs=packs)
        wall = create_operator(session, packs=packs)
        clocked.sandbox = True
        session.add(
            TestClock(
                id=uuid.uuid4(),
                operator_id=clocked.id,
                name="t",
                frozen_time=frozen,
                created_at=frozen,
                status="ready",
            )
        )
        session.flush()
        operator_clocks.forget(session)
        return clocked.id, wall.id


def test_jobs_are_due_by_their_operators_clock(
    db: Database, packs: PackRegistry, now: datetime
) -> None:
    frozen = now + timedelta(days=30)
    clocked, wall = _operators(db, packs, frozen)
    seen.clear()
    with db.session() as session:
        # Due by the clock (a month ahead of the wall), not by the wall.
        enqueue(session, SEEN_JOB, now=frozen, operator_id=clocked, key="clocked-due")
        # Past the wall clock but after the operator's clock: not due yet.
        enqueue(
            session,
            SEEN_JOB,
            now=now,
            run_at=frozen + timedelta(hours=1),
            operator_id=clocked,
            key="clocked-later",
        )
        enqueue(session, SEEN_JOB, now=now, operator_id=wall, key="wall")
        enqueue(session, SEEN_JOB, now=now, key="platform")
    assert run_pending(db, now=now, worker_id="w") == 3
    assert seen == {"clocked-due": frozen, "wall": now, "platform": now}
    with db.read_session() as session:
        later = session.scalars(select(Job).where(Job.status == "queued")).one()
    assert later.payload == {"key": "clocked-later"}


def test_an_advance_runs_only_that_operators_jobs_and_counts_the_rest(
    db: Database, packs: PackRegistry, now: datetime
) -> None:
    frozen = now + timedelta(days=1)
    clocked, wall = _operators(db, packs, frozen)
    seen.clear()
    with db.session() as session:
        for n in range(3):
            enqueue(session, SEEN_JOB, now=frozen, operator_id=clocked, key=f"c{n}")
        enqueue(session, SEEN_JOB, now=now, operator_id=wall, key="other operator")
    work = run_due_work(
        db, operator_id=clocked, clock_time=frozen, wall=now, worker_id="adv", max_jobs=2
    )
    assert (work.jobs_run, work.jobs_pending) == (2, 1)
    assert set(seen) <= {"c0", "c1", "c2"}
    assert all(value == frozen for value in seen.values())
    with db.read_session() as session:
        left = [
            row.payload["key"] for row in session.scalars(select(Job).where(Job.status == "queued"))
        ]
    assert "other operator" in left


def test_without_a_clock_the_claim_is_what_it_was(db: Database, now: datetime) -> None:
    """No operator on a test clock: one statement per claim, as before (none for the clocks
    once the process has looked: the cache)."""
    with db.session() as session:
        enqueue(session, SEEN_JOB, now=now, key="plain")
        operator_clocks.forget(session)  # takes effect again at the commit
    with db.session() as session:
        assert operator_clocks.clocked(session) == {}  # loads the (empty) set once
    statements: list[str] = []

    from sqlalchemy import event

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        claimed = claim(db, now=now, worker_id="w", batch_size=5, lease=timedelta(seconds=30))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(claimed) == 1
    assert not any("test_clocks" in statement for statement in statements)
    assert claimed[0].clock_time is None


def test_the_scheduled_scan_leaves_a_clocked_operator_to_its_clock(
    db: Database, packs: PackRegistry, now: datetime
) -> None:
    """At the wall clock the quarantine of both lines is over; only the unclocked operator's
    number is released by the scheduled scan. The clocked one's waits for its clock."""
    from simexit.cases.tasks import release_numbers
    from simexit.models import Line, Operator
    from tests.fixtures.factories import create_line, create_subscriber

    frozen = now - timedelta(days=30)
    clocked, wall = _operators(db, packs, frozen)
    with db.session() as session:
        ids = []
        for operator_id, phone in ((clocked, "+4741111111"), (wall, "+4742222222")):
            operator = session.get(Operator, operator_id)
            assert operator is not None
            subscriber = create_subscriber(session, operator=operator, phone=phone)
            line = create_line(
                session,
                operator=operator,
                subscriber=subscriber,
                status="terminated",
                terminated_on=now.date() - timedelta(days=200),
                quarantine_until=now.date() - timedelta(days=5),
            )
            ids.append(line.id)
    with db.session() as session:
        release_numbers(session, now=now)
    with db.read_session() as session:
        statuses = [session.get(Line, line_id).status for line_id in ids]  # type: ignore[union-attr]
    assert statuses == ["terminated", "number_released"]
    with db.session() as session:
        release_numbers(session, now=now, operator_id=clocked)
    with db.read_session() as session:
        assert session.get(Line, ids[0]).status == "number_released"  # type: ignore[union-attr]


def test_the_worker_catches_a_clocked_operator_up_at_its_clock(
    db: Database, packs: PackRegistry, now: datetime
) -> None:
    """An advance whose due work never ran (the process stopped): the scheduled scan looks at
    the clocked operator at its clock's time, and releases the number."""
    import simexit.cases.tasks  # noqa: F401 - registers the scans
    from simexit.jobs.runner import ensure_periodic_jobs
    from simexit.models import Line, Operator
    from tests.fixtures.factories import create_line, create_subscriber

    frozen = now + timedelta(days=60)
    clocked, _ = _operators(db, packs, frozen)
    with db.session() as session:
        operator = session.get(Operator, clocked)
        assert operator is not None
        line = create_line(
            session,
            operator=operator,
            subscriber=create_subscriber(session, operator=operator),
            status="terminated",
            terminated_on=now.date() - timedelta(days=150),
            quarantine_until=now.date() + timedelta(days=30),
        )
        ensure_periodic_jobs(session, now=now)
    run_pending(db, now=now + timedelta(hours=2), worker_id="w")
    with db.read_session() as session:
        assert session.get(Line, line.id).status == "number_released"  # type: ignore[union-attr]
