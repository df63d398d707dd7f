"""The CLI against a real SQLite file: migrate, seed, list, decide, verify the audit chain."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from simexit.audit import service as audit
from simexit.audit.chain import EventContent, content_hash, event_hash
from simexit.cli import app
from simexit.config import get_settings
from simexit.db import Database
from simexit.models import Operator
from simexit.principals import Actor, ActorType


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_upgrade_seed_list_and_verify(env: Path) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    seeded = runner.invoke(app, ["seed", "demo"])
    assert seeded.exit_code == 0, seeded.output
    assert re.search(r"seeded 10 demo operators and \d+ lines", seeded.output)
    assert "sx_" in seeded.output
    again = runner.invoke(app, ["seed", "demo"])
    assert "already present" in again.output
    listed = runner.invoke(app, ["cases", "list"])
    assert listed.exit_code == 0, listed.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "chain intact" in verified.output


def test_bad_arguments_are_named(env: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["db", "upgrade"])
    shown = runner.invoke(app, ["cases", "show", "not-a-uuid"])
    assert shown.exit_code != 0
    assert "not a case id" in shown.output
    listed = runner.invoke(app, ["cases", "list", "--status", "nonsense"])
    assert listed.exit_code != 0
    assert "nonsense" in listed.output


def test_diagram_is_current(tmp_path: Path) -> None:
    repository_doc = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"
    output = tmp_path / "workflow.md"
    result = CliRunner().invoke(app, ["cases", "diagram", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text() == repository_doc.read_text(), (
        "docs/workflow.md is stale: run `make diagram`"
    )


def test_audit_checkpoint_then_verify_and_a_rewrite_exits_non_zero(env: Path) -> None:
    """The embedded default: a key and the checkpoint directory are made beside the database;
    a chain rewritten and re-hashed after the export makes `audit verify` exit 1 with one line."""
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "demo"]).exit_code == 0
    database = Database(f"sqlite:///{env}")
    with database.session() as session:
        operator_id = session.scalars(select(Operator.id).order_by(Operator.code)).first()
        assert operator_id is not None
        for n in range(3):
            audit.record(
                session,
                operator_id=operator_id,
                actor=Actor(ActorType.agent, "agent-1"),
                action="case.approve",
                subject_type="case",
                subject_id=uuid.uuid4(),
                at=datetime(2026, 12, 2, 12, n, tzinfo=UTC),
                changes={"n": n},
            )
    database.dispose()
    sealed = runner.invoke(app, ["audit", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert re.search(r"^[1-9]\d* events sealed$", sealed.output, re.MULTILINE), sealed.output
    exported = runner.invoke(app, ["audit", "checkpoint"])
    assert exported.exit_code == 0, exported.output
    assert (env.parent / "simexit-audit-signing-key.pem").exists()
    assert list((env.parent / "audit-checkpoints").glob("*.jsonl"))
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "signed up to event" in verified.output

    with sqlite3.connect(env) as conn:
        for trigger in ("audit_events_no_update", "audit_seals_no_update"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DROP TRIGGER audit_chain_heads_advance")
        operator, code = conn.execute(
            "SELECT id, code FROM operators WHERE id = ?", (operator_id.hex,)
        ).fetchone()
        events = conn.execute(
            "SELECT e.id, s.seq, e.at, e.actor_type, e.actor_id, e.action, e.subject_type, "
            "e.subject_id, e.changes, e.note FROM audit_events e "
            "JOIN audit_seals s ON s.event_id = e.id WHERE e.operator_id = ? ORDER BY s.seq",
            (operator,),
        ).fetchall()
        prev = "0" * 64
        for (
            event_id,
            seq,
            at,
            actor_type,
            actor_id,
            action,
            subject_type,
            subject_id,
            *rest,
        ) in events:
            changes = {**json.loads(rest[0]), "rewritten": True}
            content = EventContent(
                operator_id=str(uuid.UUID(operator)),
                at=datetime.fromisoformat(at).replace(tzinfo=UTC), actor_type=actor_type,
                actor_id=actor_id, action=action, subject_type=subject_type,
                subject_id=subject_id, changes=changes, note=rest[1],
            )  # fmt: skip
            digest = event_hash(prev_hash=prev, seq=seq, content=content)
            conn.execute(
                "UPDATE audit_events SET changes = ?, content_hash = ? WHERE id = ?",
                (json.dumps(changes), content_hash(content), event_id),
            )
            conn.execute(
                "UPDATE audit_seals SET prev_hash = ?, hash = ? WHERE event_id = ?",
                (prev, digest, event_id),
            )
            prev = digest
        conn.execute(
            "UPDATE audit_chain_heads SET hash = ? WHERE operator_id = ?", (prev, operator)
        )
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1, broken.output
    lines = [line for line in broken.output.splitlines() if line.startswith(f"{code}:")]
    assert lines == [
        f"{code}: broken at event 1: event {len(events)} differs from its signed checkpoint: "
        "the chain was rewritten and re-hashed (no earlier checkpoint)"
    ], broken.output
