"""The runner against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simexit.db import Database
from simexit.errors import Conflict
from simexit.jobs import AttemptFailed, enqueue, exponential, job, periodic, run_pending
from simexit.jobs.admin import get_job, list_jobs, retry_job
from simexit.jobs.runner import claim, drain, ensure_periodic_jobs, run_claimed
from simexit.models import Job
from tests.jobs.effect_tasks import EFFECT_JOB, effect_counts

FAILING_JOB = "tests.always_fails"
RECORDING_FAILURE_JOB = "tests.fails_but_keeps_writes"
PERIODIC_JOB = "tests.every_minute"
periodic_runs: list[datetime] = []


@job(FAILING_JOB, max_attempts=3, backoff=exponential(base_seconds=10, cap_seconds=100))
def always_fails(session: Session, *, now: datetime, note: str) -> None:
    enqueue(session, EFFECT_JOB, now=now, key=f"should-be-rolled-back-{note}")
    raise RuntimeError(f"gateway down (password=hunter2) for {note}")


@job(RECORDING_FAILURE_JOB, max_attempts=2, backoff=exponential(base_seconds=10, cap_seconds=100))
def fails_but_keeps_writes(session: Session, *, now: datetime, key: str) -> None:
    enqueue(session, EFFECT_JOB, now=now, dedup_key=f"kept:{key}:{now.isoformat()}", key=key)
    raise AttemptFailed("the gateway said no; the attempt is logged")


@periodic(PERIODIC_JOB, every=timedelta(minutes=1))
def every_minute(session: Session, *, now: datetime) -> None:
    periodic_runs.append(now)


def _job(db: Database, job_id: object) -> Job:
    with db.read_session() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


class TestRunPending:
    def test_runs_a_due_job_and_marks_it_done(self, effects_table: Database, now: datetime) -> None:
        db = effects_table
        with db.session() as session:
            queued = enqueue(session, EFFECT_JOB, now=now, key="a")
        assert run_pending(db, now=now, worker_id="w1") == 1
        done = _job(db, queued.id)
        assert (done.status, done.attempts, done.finished_at, done.locked_by) == (
            "done",
            1,
            now,
            "w1",
        )
        assert effect_counts(db.engine) == {"a": 1}

    def test_leaves_future_jobs_alone(self, effects_table: Database, now: datetime) -> None:
        with effects_table.session() as session:
            enqueue(session, EFFECT_JOB, now=now, run_at=now + timedelta(minutes=5), key="later")
        assert run_pending(effects_table, now=now, worker_id="w1") == 0
        assert run_pending(effects_table, now=now + timedelta(minutes=5), worker_id="w1") == 1

    def test_runs_more_than_one_batch(self, effects_table: Database, now: datetime) -> None:
        with effects_table.session() as session:
            for index in range(45):
                enqueue(session, EFFECT_JOB, now=now, key=f"k{index}")
        assert run_pending(effects_table, now=now, worker_id="w1", batch_size=20) == 45
        assert set(effect_counts(effects_table.engine).values()) == {1}


class TestFailures:
    def test_failure_rolls_back_and_schedules_a_retry(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        with db.session() as session:
            queued = enqueue(session, FAILING_JOB, now=now, note="n1")
        run_pending(db, now=now, worker_id="w1")
        failed = _job(db, queued.id)
        assert failed.status == "queued"
        assert failed.attempts == 1
        assert failed.last_error is not None
        assert "RuntimeError: gateway down" in failed.last_error
        assert "hunter2" not in failed.last_error
        assert now + timedelta(seconds=5) <= failed.run_at <= now + timedelta(seconds=10)
        with db.read_session() as session:  # the handler's enqueue was rolled back with it
            assert (
                session.scalar(select(func.count()).select_from(Job).where(Job.name == EFFECT_JOB))
                == 0
            )

    def test_goes_dead_after_max_attempts_and_can_be_retried(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            queued = enqueue(session, FAILING_JOB, now=now, max_attempts=3, note="n2")
        moment = now
        for _ in range(3):
            run_pending(db, now=moment, worker_id="w1")
            moment += timedelta(seconds=100)
        dead = _job(db, queued.id)
        assert (dead.status, dead.attempts) == ("dead", 3)
        assert run_pending(db, now=moment + timedelta(days=1), worker_id="w1") == 0
        with db.read_session() as session:
            assert [j.id for j in list_jobs(session, status="dead")] == [queued.id]
        with db.session() as session:
            retried = retry_job(session, job_id=queued.id, now=moment)
            assert (retried.status, retried.attempts) == ("queued", 0)
        assert run_pending(db, now=moment, worker_id="w1") == 1
        assert _job(db, queued.id).attempts == 1

    def test_only_dead_jobs_can_be_retried(self, db: Database, now: datetime) -> None:
        with db.session() as session:
            queued = enqueue(session, EFFECT_JOB, now=now, key="x")
        with db.session() as session, pytest.raises(Conflict):
            retry_job(session, job_id=queued.id, now=now)

    def test_attempt_failed_keeps_the_handlers_writes(self, db: Database, now: datetime) -> None:
        with db.session() as session:
            queued = enqueue(session, RECORDING_FAILURE_JOB, now=now, max_attempts=2, key="r")
        run_pending(db, now=now, worker_id="w1")
        run_pending(db, now=now + timedelta(seconds=100), worker_id="w1")
        with db.read_session() as session:
            kept = session.scalars(select(Job).where(Job.name == EFFECT_JOB)).all()
            assert len(kept) == 2  # one per attempt, both committed with the failure
            failed = get_job(session, queued.id)
            assert failed.status == "dead"
            assert failed.last_error == "the gateway said no; the attempt is logged"

    def test_unknown_job_name_goes_dead_with_a_clear_error(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            queued = enqueue(session, "nobody.handles_this", now=now)
        assert run_pending(db, now=now, worker_id="w1") == 1
        dead = _job(db, queued.id)
        assert dead.status == "dead"
        assert (
            dead.last_error
            == "no handler is registered for job name 'nobody.handles_this' in this worker"
        )
        assert run_pending(db, now=now + timedelta(hours=1), worker_id="w1") == 0


class TestLeases:
    def test_job_of_a_dead_worker_is_picked_up_after_its_lease(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        with db.session() as session:
            queued = enqueue(session, EFFECT_JOB, now=now, key="orphan")
        lease = timedelta(seconds=60)
        [orphan] = claim(db, now=now, worker_id="died", batch_size=10, lease=lease)
        assert (
            run_pending(db, now=now + timedelta(seconds=59), worker_id="w2", lease_seconds=60) == 0
        )
        assert (
            run_pending(db, now=now + timedelta(seconds=60), worker_id="w2", lease_seconds=60) == 1
        )
        # The first worker comes back to life: its claim no longer holds, so nothing runs twice.
        assert (
            run_claimed(db, orphan, now=now + timedelta(seconds=61), worker_id="died")
            == "lost_claim"
        )
        assert effect_counts(db.engine) == {"orphan": 1}
        finished = _job(db, queued.id)
        assert (finished.status, finished.locked_by, finished.attempts) == ("done", "w2", 2)

    def test_a_job_that_keeps_killing_its_worker_ends_dead(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            queued = enqueue(session, EFFECT_JOB, now=now, max_attempts=2, key="poison")
        moment = now
        for _ in range(2):
            claim(db, now=moment, worker_id="crashes", batch_size=1, lease=timedelta(seconds=1))
            moment += timedelta(seconds=2)
        run_pending(db, now=moment, worker_id="w2")
        dead = _job(db, queued.id)
        assert dead.status == "dead"
        assert dead.last_error is not None
        assert "lease expired" in dead.last_error

    def test_graceful_stop_hands_unstarted_jobs_back(
        self, effects_table: Database, now: datetime
    ) -> None:
        db = effects_table
        with db.session() as session:
            for index in range(5):
                enqueue(session, EFFECT_JOB, now=now, key=f"s{index}")
        stop = threading.Event()
        ran = 0

        def clock() -> datetime:
            nonlocal ran
            ran += 1
            if ran == 2:  # the stop arrives while job 1 runs: job 1 finishes, job 2 never starts
                stop.set()
            return now

        assert drain(db, clock=clock, worker_id="w1", batch_size=5, stop=stop) == 1
        with db.read_session() as session:
            statuses = sorted(session.scalars(select(Job.status)))
            assert statuses == ["done", "queued", "queued", "queued", "queued"]
            assert session.scalar(select(func.max(Job.attempts)).where(Job.status == "queued")) == 0


class TestDedup:
    def test_same_dedup_key_is_one_job(self, db: Database, now: datetime) -> None:
        with db.session() as session:
            first = enqueue(session, EFFECT_JOB, now=now, dedup_key="once", key="d")
            second = enqueue(session, EFFECT_JOB, now=now, dedup_key="once", key="d")
        assert first.id == second.id


class TestPeriodic:
    def test_schedule_lives_in_the_rows(self, db: Database, now: datetime) -> None:
        periodic_runs.clear()
        with db.session() as session:
            [first] = [j for j in ensure_periodic_jobs(session, now=now) if j.name == PERIODIC_JOB]
            assert first.dedup_key == "periodic:tests.every_minute:20261120T093000Z"
        with db.session() as session:  # a second worker starting adds nothing
            again = [j for j in ensure_periodic_jobs(session, now=now) if j.name == PERIODIC_JOB]
            assert [j.id for j in again] == [first.id]
        run_pending(db, now=now + timedelta(seconds=10), worker_id="w1")
        assert periodic_runs == [now + timedelta(seconds=10)]
        with db.read_session() as session:
            waiting = session.scalars(
                select(Job).where(Job.name == PERIODIC_JOB, Job.status == "queued")
            ).all()
            assert [(j.run_at, j.dedup_key) for j in waiting] == [
                (now + timedelta(minutes=1), "periodic:tests.every_minute:20261120T093100Z")
            ]
        run_pending(db, now=now + timedelta(seconds=50), worker_id="w1")
        assert len(periodic_runs) == 1  # its next slot is not due yet
        run_pending(db, now=now + timedelta(minutes=1), worker_id="w1")
        assert len(periodic_runs) == 2

    def test_restart_after_the_slot_ran_waits_for_the_next_slot(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            ensure_periodic_jobs(session, now=now)
        run_pending(db, now=now, worker_id="w1")
        with db.session() as session:  # pretend the queued next slot was lost
            for pending in session.scalars(
                select(Job).where(Job.name == PERIODIC_JOB, Job.status == "queued")
            ):
                session.delete(pending)
        with db.session() as session:
            [waiting] = [
                j for j in ensure_periodic_jobs(session, now=now) if j.name == PERIODIC_JOB
            ]
            assert waiting.run_at == now + timedelta(minutes=1)
