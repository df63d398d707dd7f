"""The sealer against real databases: writers and several sealers at once never fork or lose a
link, a second sealer skips an operator the first one holds, and the chain is in commit order."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from simexit.audit import sealing
from simexit.audit import service as audit
from simexit.db import Database
from simexit.models import AuditEvent, AuditSeal
from simexit.policies.loader import load_registry
from simexit.principals import Actor, ActorType
from tests.fixtures.factories import create_operator

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AGENT = Actor(ActorType.agent, "agent-7")
WRITERS = 4
EVENTS_EACH = 40


def _operator(db: Database) -> uuid.UUID:
    with db.session() as session:
        return create_operator(session, packs=load_registry()).id


def _write(db: Database, operator_id: uuid.UUID, n: int) -> None:
    with db.session() as session:
        audit.record(
            session,
            operator_id=operator_id,
            actor=AGENT,
            action="case.note",
            subject_type="case",
            subject_id=uuid.uuid4(),
            at=AT + timedelta(milliseconds=n),
            changes={"n": n},
        )


def test_writers_and_two_sealers_at_once_keep_one_whole_chain(db: Database) -> None:
    operators = [_operator(db), _operator(db)]
    writing = threading.Event()
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for n in range(EVENTS_EACH):
                _write(db, operators[n % 2], index * 1000 + n)
        except BaseException as error:
            errors.append(error)

    def sealer() -> None:
        try:
            while writing.is_set():
                sealing.seal_all(db, batch=7)  # small batches: many head hand-overs
        except BaseException as error:
            errors.append(error)

    writing.set()
    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in (*sealers, *writers):
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    writing.clear()
    for thread in sealers:
        thread.join(timeout=120)
    sealing.seal_all(db)

    assert errors == []
    with db.read_session() as session:
        for operator_id in operators:
            report = audit.verify_operator(session, operator_id)
            assert report.ok, report.problem
            assert (report.events, report.unsealed) == (WRITERS * EVENTS_EACH // 2, 0)
        assert session.scalar(select(func.count()).select_from(AuditSeal)) == session.scalar(
            select(func.count()).select_from(AuditEvent)
        )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_second_sealer_skips_the_operator_the_first_holds(db: Database) -> None:
    operator_id = _operator(db)
    _write(db, operator_id, 1)
    sealing.seal_all(db)  # the head exists from here on
    _write(db, operator_id, 2)
    with db.session() as first:
        assert sealing.seal_operator(first, operator_id, batch=10) is not None
        with db.session() as second:
            assert sealing.seal_operator(second, operator_id, batch=10) is None
    with db.read_session() as session:
        assert audit.verify_operator(session, operator_id).events == 2


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_chain_is_in_commit_order(db: Database) -> None:
    """An event written first but committed last is linked last: the sealer only sees what
    committed, so nothing is linked before an event that is still in flight."""
    operator_id = _operator(db)
    with db.session() as slow:
        audit.record(
            slow,
            operator_id=operator_id,
            actor=AGENT,
            action="case.note",
            subject_type="case",
            subject_id="written-first",
            at=AT,
        )
        _write(db, operator_id, 2)  # another transaction, committed while `slow` is open
        sealing.seal_all(db)
    sealing.seal_all(db)
    with db.read_session() as session:
        order = session.scalars(
            select(AuditEvent.subject_id)
            .join(AuditSeal, AuditSeal.event_id == AuditEvent.id)
            .where(AuditSeal.operator_id == operator_id)
            .order_by(AuditSeal.seq)
        ).all()
        ids = session.scalars(
            select(AuditEvent.subject_id)
            .where(AuditEvent.operator_id == operator_id)
            .order_by(AuditEvent.id)
        ).all()
    assert ids[0] == "written-first"
    assert order[-1] == "written-first"
    assert len(order) == 2
