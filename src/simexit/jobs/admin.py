"""Operating the queue: list, show and retry jobs (behind `simexit jobs ...` and the console)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from simexit.errors import Conflict, NotFound
from simexit.models import Job, JobStatus

JOB_STATUSES = ("queued", "running", "done", "dead")


# Who is looking: one operator's staff (its id) or the platform (None: every job, the CLI).
JobScope = uuid.UUID | None
PLATFORM: JobScope = None


def _in_scope(scope: JobScope) -> list[ColumnElement[bool]]:
    return [] if scope is None else [Job.operator_id == scope]


def list_jobs(
    session: Session, *, status: str | None = None, limit: int = 50, scope: JobScope = PLATFORM
) -> list[Job]:
    statement = (
        select(Job).where(*_in_scope(scope)).order_by(Job.run_at.desc(), Job.id).limit(limit)
    )
    if status is not None:
        statement = statement.where(Job.status == status)
    return list(session.scalars(statement))


def count_by_status(session: Session, *, scope: JobScope = PLATFORM) -> dict[str, int]:
    statement = select(Job.status, func.count()).where(*_in_scope(scope)).group_by(Job.status)
    rows = session.execute(statement).all()
    counts = dict.fromkeys(JOB_STATUSES, 0)
    counts.update(dict(rows))
    return counts


# What an operator watches; `done` rows pile up and are not worth counting on every scrape.
PENDING_STATUSES = ("queued", "running", "dead")


def pending_by_name(session: Session) -> dict[tuple[str, str], int]:
    """Jobs not done, by (name, status)."""
    rows = session.execute(
        select(Job.name, Job.status, func.count())
        .where(Job.status.in_(PENDING_STATUSES))
        .group_by(Job.name, Job.status)
    ).all()
    return {(str(name), str(status)): int(count) for name, status, count in rows}


def oldest_due(session: Session, *, now: datetime) -> datetime | None:
    """When the longest-waiting queued job that is due now was due: how far the queue lags."""
    return session.scalar(
        select(func.min(Job.run_at)).where(Job.status == JobStatus.queued, Job.run_at <= now)
    )


def _visible(job: Job | None, scope: JobScope) -> bool:
    # Another tenant's job is "not found", never "forbidden": ids can't be probed.
    return job is not None and (scope is None or job.operator_id == scope)


def get_job(session: Session, job_id: uuid.UUID, *, scope: JobScope = PLATFORM) -> Job:
    job = session.get(Job, job_id)
    if job is None or not _visible(job, scope):
        raise NotFound(f"No job {job_id}.", field="job_id")
    return job


def retry_job(
    session: Session,
    *,
    job_id: uuid.UUID,
    now: datetime,
    scope: JobScope = PLATFORM,
) -> Job:
    """Put a dead job back in the queue with a fresh set of attempts; its last error is kept.

    Edges call it through `audit.service.retry_job_audited`, which records who retried it."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or not _visible(job, scope):
        raise NotFound(f"No job {job_id}.", field="job_id")
    if job.status is not JobStatus.dead:
        raise Conflict(
            f"Only dead jobs can be retried; job {job_id} is {job.status}.", field="job_id"
        )
    job.status = JobStatus.queued
    job.run_at = now
    job.attempts = 0
    job.finished_at = None
    job.locked_by = None
    job.locked_at = None
    job.lease_expires_at = None
    session.flush()
    return job


def delete_done_jobs(session: Session, *, finished_before: datetime, limit: int) -> int:
    """Delete up to `limit` done jobs that finished before the time, oldest first; how many went.

    One bounded statement per call, so a purge never holds a long lock on the queue's table."""
    oldest = (
        select(Job.id)
        .where(Job.status == JobStatus.done, Job.finished_at < finished_before)
        .order_by(Job.finished_at)
        .limit(limit)
    )
    ids = list(session.scalars(oldest))
    if ids:
        session.execute(delete(Job).where(Job.id.in_(ids)))
    return len(ids)
