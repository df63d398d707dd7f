"""The worker loop in a thread: it seals the audit trail as it runs jobs, and a sealer that fails
does not stop the jobs."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from simexit.audit import service as audit
from simexit.clock import utc_now
from simexit.db import Database
from simexit.jobs import enqueue
from simexit.policies.loader import load_registry
from simexit.principals import Actor, ActorType
from simexit.worker import main as worker_main
from tests.fixtures.factories import create_operator
from tests.jobs.effect_tasks import EFFECT_JOB

WAIT_SECONDS = 60


def _until(condition: Callable[[], bool], stop: threading.Event) -> bool:
    """Whether `condition` came true before a generous deadline (a hang guard, not a timing)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return True
        stop.wait(0.05)
    return False


def _effects(db: Database) -> int:
    with db.read_session() as session:
        return int(session.execute(text("SELECT count(*) FROM job_effects")).scalar_one())


def _run_worker(db: Database, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=worker_main.run_worker,
        kwargs={
            "db": db,
            "stop": stop,
            "poll_seconds": 0.05,
            "batch_size": 5,
            "worker_id": "test-loop",
        },
    )
    thread.start()
    return thread


def test_the_worker_seals_what_committed_and_runs_jobs(effects_table: Database) -> None:
    db = effects_table
    with db.session() as session:
        operator_id = create_operator(session, packs=load_registry()).id
        for n in range(3):
            audit.record(
                session,
                operator_id=operator_id,
                actor=Actor(ActorType.agent, "agent-1"),
                action="case.note",
                subject_type="case",
                subject_id=uuid.uuid4(),
                at=datetime(2026, 11, 20, 12, n, tzinfo=UTC),
            )
        enqueue(session, EFFECT_JOB, now=utc_now(), key="after-seal")
    stop = threading.Event()
    thread = _run_worker(db, stop)

    def sealed() -> bool:
        with db.read_session() as session:
            report = audit.verify_operator(session, operator_id)
        return report.ok and report.events == 3 and report.unsealed == 0

    try:
        assert _until(sealed, stop)
        assert _until(lambda: _effects(db) == 1, stop)
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)


def test_a_failing_sealer_does_not_stop_the_jobs(
    effects_table: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = effects_table
    attempts: list[int] = []

    def broken(_db: Database) -> list[object]:
        attempts.append(1)
        raise RuntimeError("the sealer is broken")

    monkeypatch.setattr(worker_main, "seal_all", broken)
    with db.session() as session:
        for n in range(3):
            enqueue(session, EFFECT_JOB, now=utc_now(), key=f"job-{n}")
    stop = threading.Event()
    thread = _run_worker(db, stop)
    try:
        assert _until(lambda: _effects(db) == 3, stop)
        assert attempts  # it was tried, and kept being tried
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)
