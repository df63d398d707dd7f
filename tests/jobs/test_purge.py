"""Done jobs older than the setting are deleted in bounded batches; dead and recent ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from simexit.db import Database
from simexit.jobs import tasks as job_tasks
from simexit.jobs.admin import delete_done_jobs
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import Job, JobStatus

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _job(status: JobStatus, finished_days_ago: int | None, n: int) -> Job:
    finished = NOW - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return Job(
        name="tests.purge_sample",
        payload={"n": n},
        status=status,
        run_at=NOW - timedelta(days=40),
        created_at=NOW - timedelta(days=40),
        finished_at=finished,
        last_error="gave up" if status is JobStatus.dead else None,
    )


def _fill(db: Database) -> None:
    with db.session() as session:
        session.add_all(_job(JobStatus.done, 30, n) for n in range(7))  # due for deletion
        session.add_all(_job(JobStatus.done, 2, n) for n in range(3))  # too recent
        session.add_all(_job(JobStatus.dead, 30, n) for n in range(2))  # waits for a person
        waiting = _job(JobStatus.queued, None, 0)
        waiting.run_at = NOW + timedelta(days=1)  # not due: the worker leaves it alone
        session.add(waiting)


def _count(db: Database, status: JobStatus) -> int:
    with db.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.status == status, Job.name == "tests.purge_sample")
            )
            or 0
        )


def test_one_call_deletes_at_most_its_batch_oldest_first(db: Database) -> None:
    _fill(db)
    with db.session() as session:
        assert delete_done_jobs(session, finished_before=NOW - timedelta(days=7), limit=4) == 4
    assert _count(db, JobStatus.done) == 6
    with db.session() as session:
        assert delete_done_jobs(session, finished_before=NOW - timedelta(days=7), limit=4) == 3
        assert delete_done_jobs(session, finished_before=NOW - timedelta(days=7), limit=4) == 0
    assert _count(db, JobStatus.done) == 3
    assert _count(db, JobStatus.dead) == 2
    assert _count(db, JobStatus.queued) == 1


def test_the_periodic_purge_runs_through_the_worker_with_the_setting(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_tasks, "PURGE_BATCH", 5)
    job_tasks.install(keep_done=timedelta(days=1))
    try:
        _fill(db)
        for minutes in (0, 10):
            at = NOW + timedelta(minutes=minutes)
            with db.session() as session:
                ensure_periodic_jobs(session, now=at)
            run_pending(db, now=at, worker_id="purge-test")
    finally:
        job_tasks.install(keep_done=job_tasks.DEFAULT_KEEP)
    # Two runs of five: all ten done rows were older than one day; dead and queued stay.
    assert _count(db, JobStatus.done) == 0
    assert _count(db, JobStatus.dead) == 2
    assert _count(db, JobStatus.queued) == 1
