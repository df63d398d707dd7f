from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.db import Database
from simexit.models import AuditEvent
from simexit.policies.loader import load_registry
from simexit.principals import Actor, ActorType
from tests.fixtures.factories import create_operator

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AGENT = Actor(ActorType.agent, "agent-7")


def _chain(db: Database, events: int = 5) -> uuid.UUID:
    with db.session() as session:
        operator = create_operator(session, packs=load_registry())
        for n in range(events):
            audit.record(
                session,
                operator_id=operator.id,
                actor=AGENT,
                action="case.approve",
                subject_type="case",
                subject_id=uuid.uuid4(),
                at=AT + timedelta(seconds=n),
                changes={"status": ["in_review", "approved"], "n": n},
            )
        return operator.id


def test_an_untouched_chain_verifies(db: Database) -> None:
    operator_id = _chain(db)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
    assert report.ok
    assert report.events == 5


def test_the_database_refuses_to_change_or_delete_events(db: Database) -> None:
    _chain(db)
    for statement in ("UPDATE audit_events SET action = 'case.reject'", "DELETE FROM audit_events"):
        with pytest.raises(DatabaseError, match="append-only"), db.session() as session:
            session.execute(text(statement))


def _bypass_triggers(db: Database, statement: str) -> None:
    """What an attacker with the database's owner rights could do."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
        else:
            conn.exec_driver_sql(
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"
            )
        conn.exec_driver_sql(statement)


@pytest.mark.parametrize(
    ("statement", "broken_at", "problem"),
    [
        (
            'UPDATE audit_events SET changes = \'{"status": ["in_review", "rejected"], "n": 2}\' WHERE seq = 3',
            3,
            "changed",
        ),
        ("DELETE FROM audit_events WHERE seq = 2", 2, "missing"),
        ("DELETE FROM audit_events WHERE seq = 5", 5, "deleted"),
    ],
)
def test_tampering_is_reported_at_the_first_broken_link(
    db: Database, statement: str, broken_at: int, problem: str
) -> None:
    operator_id = _chain(db)
    _bypass_triggers(db, statement)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
    assert not report.ok
    assert report.first_broken_seq == broken_at
    assert report.problem is not None
    assert problem in report.problem


def _record(session: Session, operator_id: uuid.UUID, n: int) -> None:
    audit.record(
        session,
        operator_id=operator_id,
        actor=AGENT,
        action="case.note",
        subject_type="case",
        subject_id=uuid.uuid4(),
        at=AT + timedelta(seconds=n),
        changes={"n": n},
    )


def test_events_in_savepoints_keep_one_unbroken_chain(db: Database) -> None:
    """A savepoint's rollback takes its events back and the next event links to the last one
    kept; a released savepoint's events stay. The head is read again after either, so neither
    leaves a stale copy that would reuse a number or fork the chain."""
    with db.session() as session:
        operator_id = create_operator(session, packs=load_registry()).id
        _record(session, operator_id, 1)
        with suppress(RuntimeError), session.begin_nested():
            _record(session, operator_id, 2)
            raise RuntimeError("this savepoint rolls back")
        _record(session, operator_id, 3)
        with session.begin_nested():
            _record(session, operator_id, 4)
        _record(session, operator_id, 5)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
        kept = session.scalars(
            select(AuditEvent.changes)
            .where(AuditEvent.operator_id == operator_id)
            .order_by(AuditEvent.seq)
        ).all()
    assert report.ok, report.problem
    assert [c["n"] for c in kept] == [1, 3, 4, 5]


def test_each_transaction_reads_the_head_afresh(db: Database) -> None:
    with db.session() as session:
        operator_id = create_operator(session, packs=load_registry()).id
        _record(session, operator_id, 1)
    with suppress(RuntimeError), db.session() as session:
        _record(session, operator_id, 2)
        raise RuntimeError("this transaction rolls back")
    with db.session() as session:
        _record(session, operator_id, 3)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
    assert report.ok, report.problem
    assert report.events == 2
