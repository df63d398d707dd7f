"""Exchange jobs against a real database: the remote call runs with no transaction open.

The probe for "no transaction open" is `Database.session(wait=False)`: on SQLite it raises
`WriterBusy` at once while any other write transaction of the process is open, so a write that
succeeds while the remote call is blocked proves the call holds no write lock. The one-step
handler below shows the probe catching a handler that does hold it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from simexit.db import Database, WriterBusy
from simexit.jobs import enqueue, exponential, job, run_pending
from simexit.jobs.registry import Exchange, exchange_job
from simexit.jobs.runner import claim, run_claimed
from simexit.models import Job
from tests.jobs.effect_tasks import effect_counts

EXCHANGE_JOB = "tests.exchange"
ONE_STEP_JOB = "tests.one_step_remote_call"
GATE_SECONDS = 30  # a stuck test fails after this instead of hanging


@dataclass
class Remote:
    """The far side of the exchange: counts calls, can hold a call open, can break."""

    calls: list[str] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None
    broken: bool = False

    def call(self, plan: str) -> str:
        self.calls.append(plan)
        self.entered.set()
        if self.release is not None:
            assert self.release.wait(GATE_SECONDS), "the test never released the remote call"
        if self.broken:
            raise RuntimeError("unexpected reply from the remote side")
        return f"answer to {plan}"


remote = Remote()


def _plan(session: Session, *, now: datetime, key: str, nothing_to_do: bool = False) -> str | None:
    assert session.execute(text("SELECT 1")).scalar() == 1  # the plan may read
    return None if nothing_to_do else f"plan {key}"


def _record(session: Session, *, now: datetime, plan: str | None, result: str | None) -> None:
    session.execute(
        text("INSERT INTO job_effects (effect_key, done_at) VALUES (:key, :at)"),
        {"key": f"{plan} -> {result}", "at": now.isoformat()},
    )


exchange_job(
    EXCHANGE_JOB,
    Exchange(_plan, lambda plan: remote.call(plan), _record),
    max_attempts=3,
    backoff=exponential(base_seconds=10, cap_seconds=100),
)


@job(ONE_STEP_JOB)
def one_step_remote_call(session: Session, *, now: datetime, key: str) -> None:
    _record(session, now=now, plan=key, result=remote.call(key))


@pytest.fixture(autouse=True)
def fresh_remote() -> None:
    global remote
    remote = Remote()


def _probe_write(db: Database) -> None:
    with db.session(wait=False) as session:
        session.execute(
            text("INSERT INTO job_effects (effect_key, done_at) VALUES ('probe', NULL)")
        )


def _run_with_remote_held(db: Database, now: datetime) -> list[Exception]:
    """Run pending jobs in a thread whose remote call waits; probe a write while it waits."""
    remote.release = threading.Event()
    errors: list[Exception] = []
    worker = threading.Thread(
        target=run_pending, args=(db,), kwargs={"now": now, "worker_id": "w1"}
    )
    worker.start()
    try:
        assert remote.entered.wait(GATE_SECONDS), "the job never reached its remote call"
        try:
            _probe_write(db)
        except WriterBusy as busy:
            errors.append(busy)
    finally:
        remote.release.set()
        worker.join(GATE_SECONDS)
    assert not worker.is_alive()
    return errors


def _job(db: Database, name: str) -> Job:
    with db.read_session() as session:
        [found] = session.query(Job).filter(Job.name == name).all()
        return found


class TestExchange:
    def test_writes_go_on_while_the_remote_call_is_under_way(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        with db.session() as session:
            enqueue(session, EXCHANGE_JOB, now=now, key="a")
        assert _run_with_remote_held(db, now) == []
        assert remote.calls == ["plan a"]
        assert effect_counts(db.engine) == {"probe": 1, "plan a -> answer to plan a": 1}
        assert _job(db, EXCHANGE_JOB).status == "done"

    def test_the_probe_catches_a_handler_that_holds_the_lock(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        if not db.is_sqlite:
            pytest.skip("PostgreSQL has no database-wide write lock to hold")
        with db.session() as session:
            enqueue(session, ONE_STEP_JOB, now=now, key="b")
        [busy] = _run_with_remote_held(db, now)
        assert isinstance(busy, WriterBusy)
        assert effect_counts(db.engine) == {"b -> answer to b": 1}

    def test_nothing_to_send_records_and_finishes_without_a_call(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        with db.session() as session:
            enqueue(session, EXCHANGE_JOB, now=now, key="c", nothing_to_do=True)
        assert run_pending(db, now=now, worker_id="w1") == 1
        assert remote.calls == []
        assert effect_counts(db.engine) == {"None -> None": 1}
        assert _job(db, EXCHANGE_JOB).status == "done"

    def test_a_broken_exchange_writes_nothing_and_retries(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        remote.broken = True
        with db.session() as session:
            enqueue(session, EXCHANGE_JOB, now=now, key="d")
        run_pending(db, now=now, worker_id="w1")
        failed = _job(db, EXCHANGE_JOB)
        assert (failed.status, failed.attempts) == ("queued", 1)
        assert failed.last_error == "RuntimeError: unexpected reply from the remote side"
        assert failed.run_at > now
        assert effect_counts(db.engine) == {}
        remote.broken = False
        run_pending(db, now=now + timedelta(seconds=10), worker_id="w1")
        assert _job(db, EXCHANGE_JOB).status == "done"
        assert remote.calls == ["plan d", "plan d"]

    def test_a_lost_claim_makes_no_call(self, effects_table: Database, now: datetime) -> None:
        db = effects_table
        with db.session() as session:
            enqueue(session, EXCHANGE_JOB, now=now, key="e")
        [stale] = claim(db, now=now, worker_id="slow", batch_size=1, lease=timedelta(seconds=60))
        later = now + timedelta(seconds=61)
        assert run_pending(db, now=later, worker_id="w2", lease_seconds=60) == 1
        assert run_claimed(db, stale, now=later, worker_id="slow") == "lost_claim"
        assert remote.calls == ["plan e"]  # w2's call only
        assert effect_counts(db.engine) == {"plan e -> answer to plan e": 1}

    def test_no_call_is_started_under_an_expired_lease(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        with db.session() as session:
            enqueue(session, EXCHANGE_JOB, now=now, key="f")
        [late] = claim(db, now=now, worker_id="w1", batch_size=1, lease=timedelta(seconds=60))
        # The batch took longer than the lease before reaching this job; nobody reclaimed it yet.
        assert (
            run_claimed(db, late, now=now + timedelta(seconds=60), worker_id="w1") == "lost_claim"
        )
        assert remote.calls == []
        later = now + timedelta(seconds=61)
        assert run_pending(db, now=later, worker_id="w2", lease_seconds=60) == 1
        assert remote.calls == ["plan f"]
