from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from simexit.audit import sealing
from simexit.audit import service as audit
from simexit.db import Database
from simexit.models import AuditEvent, AuditSeal
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
        operator_id = operator.id
    sealing.seal_all(db)
    return operator_id


def test_an_untouched_chain_verifies(db: Database) -> None:
    operator_id = _chain(db)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
    assert report.ok
    assert report.events == 5
    assert report.unsealed == 0


def test_events_wait_for_the_sealer_and_verify_says_how_many(db: Database) -> None:
    with db.session() as session:
        operator_id = create_operator(session, packs=load_registry()).id
        for n in range(3):
            _record(session, operator_id, n)
    with db.read_session() as session:
        waiting = audit.verify_operator(session, operator_id)
    assert (waiting.ok, waiting.events, waiting.unsealed) == (True, 0, 3)
    assert [s.events for s in sealing.seal_all(db)] == [3]
    with db.session() as session:
        _record(session, operator_id, 3)
    sealing.seal_all(db)
    with db.read_session() as session:
        sealed = audit.verify_operator(session, operator_id)
        seqs = session.scalars(
            select(AuditSeal.seq)
            .where(AuditSeal.operator_id == operator_id)
            .order_by(AuditSeal.event_id)
        ).all()
    assert (sealed.ok, sealed.events, sealed.unsealed) == (True, 4, 0)
    assert list(seqs) == [1, 2, 3, 4]


def test_the_database_refuses_to_change_or_delete_events_and_links(db: Database) -> None:
    _chain(db)
    for statement in (
        "UPDATE audit_events SET action = 'case.reject'",
        "DELETE FROM audit_events",
        "UPDATE audit_seals SET hash = prev_hash",
        "DELETE FROM audit_seals",
    ):
        with pytest.raises(DatabaseError, match=r"append-only|only takes"), db.session() as session:
            session.execute(text(statement))


def test_the_database_refuses_a_link_that_does_not_follow_the_last(db: Database) -> None:
    operator_id = _chain(db, events=2)
    with db.session() as session:
        _record(session, operator_id, 9)
    with db.read_session() as session:
        event_id = session.scalars(
            select(AuditEvent.id)
            .where(AuditEvent.operator_id == operator_id)
            .order_by(AuditEvent.id.desc())
        ).first()
    for seq, prev in ((2, "0" * 64), (4, "0" * 64), (3, "f" * 64)):
        with pytest.raises(DatabaseError, match="only takes"), db.session() as session:
            session.add(
                AuditSeal(
                    event_id=event_id, operator_id=operator_id, seq=seq, prev_hash=prev,
                    hash="a" * 64,
                )
            )  # fmt: skip


def _bypass_triggers(db: Database, statement: str) -> None:
    """What an attacker with the database's owner rights could do."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "sqlite":
            for trigger in (
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_seals_no_delete",
            ):
                conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            conn.exec_driver_sql("ALTER TABLE audit_seals DISABLE TRIGGER USER")
        conn.exec_driver_sql(statement)
        if db.engine.dialect.name != "sqlite":  # the test database outlives the test
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
            conn.exec_driver_sql("ALTER TABLE audit_seals ENABLE TRIGGER USER")


@pytest.mark.parametrize(
    ("statement", "broken_at", "problem"),
    [
        (
            'UPDATE audit_events SET changes = \'{"status": ["in_review", "rejected"], "n": 2}\' '
            "WHERE id = (SELECT event_id FROM audit_seals WHERE seq = 3)",
            3,
            "changed",
        ),
        (
            "UPDATE audit_events SET content_hash = 'ab' "
            "WHERE id = (SELECT event_id FROM audit_seals WHERE seq = 4)",
            4,
            "changed",
        ),
        ("DELETE FROM audit_seals WHERE seq = 2", 2, "missing"),
        (
            "DELETE FROM audit_events WHERE id = (SELECT event_id FROM audit_seals WHERE seq = 2)",
            2,
            "gone",
        ),
        ("DELETE FROM audit_seals WHERE seq = 5", 5, "deleted"),
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
    """A savepoint's rollback takes its events (and their places in the sealer's queue) back; a
    released savepoint's events stay and are sealed in the order they were written."""
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
    sealing.seal_all(db)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
        kept = session.scalars(
            select(AuditEvent.changes)
            .join(AuditSeal, AuditSeal.event_id == AuditEvent.id)
            .where(AuditEvent.operator_id == operator_id)
            .order_by(AuditSeal.seq)
        ).all()
    assert report.ok, report.problem
    assert [c["n"] for c in kept] == [1, 3, 4, 5]


def test_a_rolled_back_transaction_leaves_nothing_to_seal(db: Database) -> None:
    with db.session() as session:
        operator_id = create_operator(session, packs=load_registry()).id
        _record(session, operator_id, 1)
    with suppress(RuntimeError), db.session() as session:
        _record(session, operator_id, 2)
        raise RuntimeError("this transaction rolls back")
    with db.session() as session:
        _record(session, operator_id, 3)
    sealing.seal_all(db)
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
    assert report.ok, report.problem
    assert (report.events, report.unsealed) == (2, 0)


def test_an_event_taken_off_the_queue_by_hand_is_noticed(db: Database) -> None:
    operator_id = _chain(db, events=2)
    with db.session() as session:
        _record(session, operator_id, 7)
        session.execute(text("DELETE FROM audit_unsealed"))
    with db.read_session() as session:
        report = audit.verify_operator(session, operator_id)
    assert not report.ok
    assert report.problem == "1 events have no link and are not queued for sealing"
