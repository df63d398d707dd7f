"""Signed checkpoints against a real database: the export job, the append-only guards on the
heads and checkpoints, and the attack of issue 14 (a rewritten, re-hashed chain) being caught."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Table, select, text, update
from sqlalchemy.exc import DatabaseError

from simexit.audit import checkpoints, sealing
from simexit.audit import service as audit
from simexit.audit import tasks as audit_tasks
from simexit.audit.chain import content_hash, event_hash
from simexit.audit.ports import CheckpointExportError, CheckpointSink
from simexit.audit.service import ChainReport
from simexit.audit.signing import SignedCheckpoint, sign
from simexit.db import Database
from simexit.integrations.checkpoints.sinks import DirectorySink, WebhookSink
from simexit.integrations.webhooks.client import HttpWebhookSender
from simexit.jobs import enqueue, run_pending
from simexit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditSeal, Job
from simexit.policies.loader import load_registry
from simexit.principals import Actor, ActorType
from tests.fixtures.factories import create_operator

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AGENT = Actor(ActorType.agent, "agent-7")
KEY = Ed25519PrivateKey.generate()


def _table(table: object) -> Table:
    assert isinstance(table, Table)
    return table


_EVENTS = _table(AuditEvent.__table__)
_SEALS = _table(AuditSeal.__table__)
_HEADS = _table(AuditChainHead.__table__)


@pytest.fixture
def archive(tmp_path: Path) -> DirectorySink:
    return DirectorySink(tmp_path / "checkpoints")


@pytest.fixture
def operator_id(db: Database) -> uuid.UUID:
    with db.session() as session:
        return create_operator(session, packs=load_registry()).id


def _record(db: Database, operator_id: uuid.UUID, first: int, last: int) -> None:
    with db.session() as session:
        for n in range(first, last + 1):
            audit.record(
                session,
                operator_id=operator_id,
                actor=AGENT,
                action="case.approve",
                subject_type="case",
                subject_id=uuid.uuid4(),
                at=AT + timedelta(seconds=n),
                changes={"status": ["in_review", "approved"], "n": n},
            )
    sealing.seal_all(db)  # what the worker does within a second of the commit


_exports = 0


def _export(db: Database, sinks: tuple[CheckpointSink, ...]) -> None:
    """Run the export the way the worker does: the queued exchange job, through the runner."""
    global _exports
    _exports += 1
    now = AT + timedelta(hours=_exports)
    audit_tasks.install(KEY, sinks)
    with db.session() as session:
        enqueue(session, audit_tasks.EXPORT_JOB, now=now, dedup_key=f"test:{uuid.uuid4()}")
    run_pending(db, now=now, worker_id="test")


def _verify(
    db: Database, operator_id: uuid.UUID, archive: DirectorySink | None
) -> tuple[ChainReport, list[str]]:
    with db.read_session() as session:
        found = checkpoints.collect(
            session, operator_id, public_key=KEY.public_key(), archive=archive
        )
        report = audit.verify_operator(session, operator_id, checkpoints=found.trusted)
    return report, [p.problem for p in found.problems]


@contextmanager
def _as_superuser(db: Database) -> Iterator[Connection]:
    """What the database's owner can do: switch the guards off for one transaction (on
    PostgreSQL they are switched back on after, as the test database outlives the test)."""
    postgres = db.engine.dialect.name == "postgresql"
    tables = ("audit_events", "audit_seals", "audit_chain_heads", "audit_checkpoints")
    with db.engine.begin() as conn:
        if postgres:
            for table in tables:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for trigger in (
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_seals_only_link",
                "audit_seals_no_update",
                "audit_seals_no_delete",
                "audit_chain_heads_advance",
                "audit_chain_heads_no_delete",
                "audit_checkpoints_no_delete",
            ):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        yield conn
        if postgres:
            for table in tables:
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _rewrite(db: Database, conn: Connection, operator_id: uuid.UUID, first: int) -> None:
    """Change event `first` (and its content hash) and re-link it and every later event with
    the product's own functions, then move the head onto the new last hash: the attack of
    issue 14, on the sealed chain."""
    with db.read_session() as session:
        links = list(
            session.execute(
                select(AuditSeal, AuditEvent)
                .join(AuditEvent, AuditEvent.id == AuditSeal.event_id)
                .where(AuditSeal.operator_id == operator_id, AuditSeal.seq >= first - 1)
                .order_by(AuditSeal.seq)
            )
        )
        session.expunge_all()
    prev = links[0][0].hash
    for seal, event in links[1:]:  # rows unpack as (seal, event)
        content = audit.content_of(event)
        if seal.seq == first:
            content = dataclasses.replace(
                content, changes={**content.changes, "status": ["in_review", "rejected"]}
            )
            conn.execute(
                update(_EVENTS)
                .where(_EVENTS.c.id == event.id)
                .values(changes=content.changes, content_hash=content_hash(content))
            )
        digest = event_hash(prev_hash=prev, seq=seal.seq, content=content)
        conn.execute(
            update(_SEALS)
            .where(_SEALS.c.event_id == seal.event_id)
            .values(prev_hash=prev, hash=digest)
        )
        prev = digest
    conn.execute(update(_HEADS).where(_HEADS.c.operator_id == operator_id).values(hash=prev))


class TestTheRewriteAttack:
    def test_a_rewritten_rehashed_chain_is_caught_after_the_last_good_checkpoint(
        self,
        db: Database,
        operator_id: uuid.UUID,
        archive: DirectorySink,
    ) -> None:
        _record(db, operator_id, 1, 50)
        _export(db, (archive,))
        _record(db, operator_id, 51, 300)
        _export(db, (archive,))
        _record(db, operator_id, 301, 575)
        assert _verify(db, operator_id, archive)[0].ok

        with _as_superuser(db) as conn:
            _rewrite(db, conn, operator_id, first=100)

        with db.read_session() as session:
            # Re-hashing alone, as before: the rewritten chain agrees with itself.
            assert audit.verify_operator(session, operator_id).ok
        report, problems = _verify(db, operator_id, archive)
        assert problems == []
        assert not report.ok
        assert report.first_broken_seq == 51
        assert report.problem is not None
        assert "event 300 differs from its signed checkpoint" in report.problem
        assert "the last good checkpoint is at event 50" in report.problem

    def test_deleting_the_checkpoint_rows_too_leaves_the_exported_file(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 20)
        _export(db, (archive,))
        with _as_superuser(db) as conn:
            conn.exec_driver_sql("DELETE FROM audit_checkpoints")
            _rewrite(db, conn, operator_id, first=3)
        report, _ = _verify(db, operator_id, archive)
        assert report.first_broken_seq == 1
        assert report.problem is not None
        assert "event 20 differs from its signed checkpoint" in report.problem

    def test_events_deleted_with_the_head_rolled_back_are_caught(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 5)
        _export(db, (archive,))
        _record(db, operator_id, 6, 10)
        _export(db, (archive,))
        with _as_superuser(db) as conn:
            later = select(_SEALS.c.event_id).where(
                _SEALS.c.operator_id == operator_id, _SEALS.c.seq > 7
            )
            conn.execute(_EVENTS.delete().where(_EVENTS.c.id.in_(later)))
            conn.execute(
                _SEALS.delete().where(_SEALS.c.operator_id == operator_id, _SEALS.c.seq > 7)
            )
            seventh = conn.execute(
                select(_SEALS.c.hash).where(_SEALS.c.operator_id == operator_id, _SEALS.c.seq == 7)
            ).scalar_one()
            conn.execute(
                update(_HEADS)
                .where(_HEADS.c.operator_id == operator_id)
                .values(seq=7, hash=seventh)
            )
        report, _ = _verify(db, operator_id, archive)
        assert report.first_broken_seq == 6
        assert report.problem is not None
        assert "the chain ends at event 7 but a signed checkpoint names event 10" in report.problem


class TestArchiveProblems:
    def test_a_bad_signature_in_the_file_is_named(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 3)
        _export(db, (archive,))
        path = archive.path(str(operator_id))
        line = json.loads(path.read_text())
        line["head_hash"] = "0" * 64
        path.write_text(json.dumps(line) + "\n")
        report, problems = _verify(db, operator_id, archive)
        assert report.ok  # the stored checkpoint still vouches for the chain
        assert any("signature does not verify" in p for p in problems), problems
        assert any("is stored but not in" in p for p in problems), problems

    def test_a_missing_checkpoint_file_is_named(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 3)
        _export(db, (archive,))
        archive.path(str(operator_id)).unlink()
        _, problems = _verify(db, operator_id, archive)
        assert problems == [
            f"checkpoint file {archive.path(str(operator_id))} is missing (1 were exported)"
        ]

    def test_a_checkpoint_signed_by_another_key_is_not_trusted(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 3)
        _export(db, (archive,))
        with db.read_session() as session:
            found = checkpoints.collect(
                session,
                operator_id,
                public_key=Ed25519PrivateKey.generate().public_key(),
                archive=archive,
            )
        assert found.trusted == {}
        assert len(found.problems) == 2  # the stored one and the exported one
        assert all("not by the configured key" in p.problem for p in found.problems)


class TestTheGuards:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_chain_heads SET seq = seq - 1",
            "UPDATE audit_chain_heads SET hash = 'ffff'",
            "UPDATE audit_chain_heads SET seq = seq + 1",
            "DELETE FROM audit_chain_heads",
        ],
    )
    def test_the_heads_only_advance_onto_the_event_appended(
        self, db: Database, operator_id: uuid.UUID, statement: str
    ) -> None:
        _record(db, operator_id, 1, 3)
        with pytest.raises(DatabaseError, match="only advances"), db.session() as session:
            session.execute(text(statement))
        with db.read_session() as session:
            head = session.get(AuditChainHead, operator_id)
            assert head is not None
            assert head.seq == 3

    def test_a_head_cannot_start_part_way(self, db: Database, operator_id: uuid.UUID) -> None:
        head = AuditChainHead(operator_id=operator_id, seq=5, hash="a" * 64)
        with pytest.raises(DatabaseError, match="only advances"), db.session() as session:
            session.add(head)

    @pytest.mark.parametrize(
        "statement", ["UPDATE audit_checkpoints SET seq = 1", "DELETE FROM audit_checkpoints"]
    )
    def test_checkpoints_are_append_only(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink, statement: str
    ) -> None:
        _record(db, operator_id, 1, 3)
        _export(db, (archive,))
        with pytest.raises(DatabaseError, match="append-only"), db.session() as session:
            session.execute(text(statement))


class _Refusing:
    name = "refusing"

    def append(self, signed: SignedCheckpoint) -> None:
        raise CheckpointExportError("down")


class TestTheExportJob:
    def test_only_moved_heads_are_exported_and_each_once(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 3)
        _export(db, (archive,))
        _export(db, (archive,))
        _record(db, operator_id, 4, 4)
        _export(db, (archive,))
        lines = archive.read(str(operator_id))
        assert lines is not None
        assert [json.loads(line)["seq"] for line in lines] == [3, 4]
        with db.read_session() as session:
            stored = session.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq))
            assert list(stored) == [3, 4]

    def test_a_refused_export_is_not_recorded_and_retried(
        self, db: Database, operator_id: uuid.UUID, archive: DirectorySink
    ) -> None:
        _record(db, operator_id, 1, 3)
        _export(db, (archive, _Refusing()))
        with db.read_session() as session:
            assert session.scalars(select(AuditCheckpoint)).first() is None
            job = session.scalars(select(Job).where(Job.name == audit_tasks.EXPORT_JOB)).one()
            assert job.status == "queued"
            assert job.last_error is not None
            assert "refusing: down" in job.last_error

    def test_the_webhook_gets_the_signed_checkpoint(
        self, db: Database, operator_id: uuid.UUID
    ) -> None:
        received: list[dict[str, object]] = []

        def receiver(request: httpx.Request) -> httpx.Response:
            received.append(json.loads(request.content))
            return httpx.Response(204)

        client = httpx.Client(transport=httpx.MockTransport(receiver))
        sink = WebhookSink("https://keeper.example/checkpoints", HttpWebhookSender(client=client))
        _record(db, operator_id, 1, 2)
        _export(db, (sink,))
        assert len(received) == 1
        assert received[0]["seq"] == 2
        assert received[0]["operator_id"] == str(operator_id)
        assert isinstance(received[0]["signature"], str)

    def test_a_webhook_error_status_refuses_the_export(self) -> None:
        client = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(500)))
        sink = WebhookSink("https://keeper.example/c", HttpWebhookSender(client=client))
        signed = checkpoints.export(
            [sign(KEY, operator_id="o", seq=1, head_hash="a" * 64, signed_at=AT)],
            (sink,),
        )
        assert signed.exported == ()
        assert signed.failures == ("webhook: the checkpoint webhook answered 500",)
