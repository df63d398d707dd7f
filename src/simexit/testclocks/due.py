"""After an advance: the scheduler's work that came due for the operator, before the call returns.

Every per-operator scan (`registry.per_operator_specs`: effective dates, drafts to expire, SLA
alerts, quarantine ends, SIM-return reminders, retention) runs once for the operator at the
clock's new time, each in its own transaction; then the operator's queued jobs that are due by the
clock run, through the job runner as the worker runs them (a remote call never inside a write
transaction), up to `MAX_JOBS_PER_ADVANCE`. What is left is reported as pending: the worker runs
it (it compares those jobs' `run_at` with the clock too).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select

from simexit.db import Database
from simexit.jobs import registry, runner
from simexit.models import Job

log = structlog.get_logger()

# Enough for a demo operator's whole queue after a long jump; a call that ran more would keep
# the caller waiting for long. The rest runs in the worker.
MAX_JOBS_PER_ADVANCE = 200
_BATCH = 20


@dataclass(frozen=True, slots=True)
class DueWork:
    scans: tuple[str, ...]
    scans_failed: tuple[str, ...]
    jobs_run: int
    jobs_pending: int


def run_due_work(
    db: Database,
    *,
    operator_id: uuid.UUID,
    clock_time: datetime,
    wall: datetime,
    worker_id: str,
    max_jobs: int = MAX_JOBS_PER_ADVANCE,
) -> DueWork:
    scans: list[str] = []
    failed: list[str] = []
    for spec in registry.per_operator_specs():
        try:
            with db.session() as session:
                spec.handler(session, now=clock_time, operator_id=operator_id)
        except Exception as error:  # one broken scan must not keep the others from running
            log.error("test_clock.scan_failed", scan=spec.name, error=type(error).__name__)
            failed.append(spec.name)
            continue
        scans.append(spec.name)
    ran = 0
    lease = timedelta(seconds=runner.DEFAULT_LEASE_SECONDS)
    while ran < max_jobs:
        batch = runner.claim(
            db,
            now=wall,
            worker_id=worker_id,
            batch_size=min(_BATCH, max_jobs - ran),
            lease=lease,
            operator_id=operator_id,
        )
        if not batch:
            break
        for claimed in batch:
            runner.run_claimed(db, claimed, now=wall, worker_id=worker_id)
            ran += 1
    return DueWork(tuple(scans), tuple(failed), ran, _pending(db, operator_id, clock_time))


def _pending(db: Database, operator_id: uuid.UUID, clock_time: datetime) -> int:
    with db.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Job)
                .where(
                    Job.operator_id == operator_id,
                    Job.status == "queued",
                    Job.run_at <= clock_time,
                )
            )
            or 0
        )
