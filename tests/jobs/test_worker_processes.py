"""Real `simexit worker` processes: killed mid-batch, and two at once on PostgreSQL.

No timing assertions: the tests wait (with a generous deadline) for the queue to drain, then
count effects. A job that ran twice would leave two rows for its key; a lost one, none.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from simexit.db import Database
from simexit.models import Job
from tests.jobs.effect_tasks import EFFECT_JOB, effect_counts

REPO = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 120


def _start_worker(
    db: Database, worker_id: str, *, batch_size: int, lease_seconds: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": db.url,
        "SIMEXIT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simexit",
            "worker",
            "--task-module",
            "tests.jobs.effect_tasks",
            "--worker-id",
            worker_id,
            "--batch-size",
            str(batch_size),
            "--lease-seconds",
            str(lease_seconds),
            "--poll-seconds",
            "0.05",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for(
    condition: Callable[[], bool], what: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        for process in processes:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(
                    f"worker exited with {process.returncode} while waiting for {what}: {stderr[-2000:]}"
                )
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        _stop(process)
        if process.stderr:
            process.stderr.close()


def _enqueue_many(db: Database, count: int, now: datetime, *, pause_ms: int = 0) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "name": EFFECT_JOB,
            "payload": {"key": f"job-{index:05d}", "pause_ms": pause_ms},
            "status": "queued",
            "run_at": now,
            "attempts": 0,
            "max_attempts": 8,
            "created_at": now,
        }
        for index in range(count)
    ]
    with db.session() as session:
        for start in range(0, count, 2000):
            session.execute(insert(Job), rows[start : start + 2000])


def _count(db: Database, *statuses: str, locked_by: str | None = None) -> int:
    with db.read_session() as session:
        # Only the test's own jobs: the worker also runs the periodic scans registered at start.
        statement = (
            select(func.count())
            .select_from(Job)
            .where(Job.name == EFFECT_JOB, Job.status.in_(statuses))
        )
        if locked_by is not None:
            statement = statement.where(Job.locked_by == locked_by)
        return int(session.scalar(statement) or 0)


def _freeze_holding_a_batch(
    db: Database, worker: subprocess.Popen[bytes], workers: list[subprocess.Popen[bytes]]
) -> None:
    """Stop `worker` (SIGSTOP) once some jobs are done and it holds a claimed batch. Seen
    running, the batch can still end before the signal lands (the worker is between two
    batches then), so the claim is read again with the worker stopped, and it goes on if
    the batch had ended."""
    for _ in range(50):
        _wait_for(
            lambda: (
                sum(effect_counts(db.engine).values()) >= 60
                and _count(db, "running", locked_by="first") > 0
            ),
            "some jobs to finish while a batch is claimed",
            workers,
        )
        worker.send_signal(signal.SIGSTOP)
        if _count(db, "running", locked_by="first") > 0:
            return
        worker.send_signal(signal.SIGCONT)
    pytest.fail("the worker was never caught holding a claimed batch")


@pytest.mark.slow
def test_worker_killed_mid_batch_loses_and_repeats_nothing(
    effects_table: Database, workers: list[subprocess.Popen[bytes]]
) -> None:
    db = effects_table
    total = 300
    _enqueue_many(db, total, datetime.now().astimezone(), pause_ms=20)
    first = _start_worker(db, "first", batch_size=25, lease_seconds=2)
    workers.append(first)
    _freeze_holding_a_batch(db, first, workers)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    done_before_restart = _count(db, "done")
    assert 0 < done_before_restart < total
    assert _count(db, "running", locked_by="first") > 0  # it died holding a claimed batch

    workers.append(_start_worker(db, "second", batch_size=25, lease_seconds=2))
    _wait_for(lambda: _count(db, "done") == total, "every job to be done", workers[1:])

    counts = effect_counts(db.engine)
    assert len(counts) == total
    assert set(counts.values()) == {1}
    assert _count(db, "queued", "running", "dead") == 0


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_workers_drain_ten_thousand_jobs_exactly_once(
    effects_table: Database, workers: list[subprocess.Popen[bytes]]
) -> None:
    db = effects_table
    total = 10_000
    _enqueue_many(db, total, datetime.now().astimezone())
    workers.append(_start_worker(db, "pg-a", batch_size=100, lease_seconds=60))
    workers.append(_start_worker(db, "pg-b", batch_size=100, lease_seconds=60))
    _wait_for(lambda: _count(db, "done") == total, "10,000 jobs to be done", workers)

    counts = effect_counts(db.engine)
    assert len(counts) == total, "a job was lost"
    assert max(counts.values()) == 1, "a job ran twice"
    assert _count(db, "queued", "running", "dead") == 0
