"""Writing jobs. A job is a row in the caller's transaction: rolled-back state leaves no job.

The row is inserted at once with one statement (`appending.append_row`), outside the unit of work: a
look-up later in the same transaction finds it, and a rollback takes it away.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simexit.appending import append_row, append_values
from simexit.models import Job

DEFAULT_MAX_ATTEMPTS = 8
# Among due jobs the lower number runs first (`Job.priority`).
PRIORITY_DEFAULT = 0
PRIORITY_BULK = 10  # a campaign's chunks and their network jobs: after everything else
_JOB_BY_DEDUP_KEY = select(Job).where(Job.dedup_key == bindparam("dedup_key"))


def enqueue(
    session: Session,
    name: str,
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedup_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    operator_id: uuid.UUID | None = None,
    priority: int = PRIORITY_DEFAULT,
    **payload: Any,
) -> Job:
    """Add a job to this transaction. With a `dedup_key` already taken, the existing job is returned.

    The payload must be JSON-safe (ids as strings). `operator_id` names the tenant whose work
    this is (None for the platform's own scans): the console shows an operator's staff only its
    own jobs and their errors.
    """
    if dedup_key is not None:
        # Jobs are inserted at once, so one added earlier in this transaction is found too.
        existing = session.scalars(_JOB_BY_DEDUP_KEY, {"dedup_key": dedup_key}).first()
        if existing is not None:
            return existing
    values = _job_values(name, now, run_at, dedup_key, max_attempts, payload, operator_id)
    values["priority"] = priority
    return append_row(session, Job(**values))


def _job_values(
    name: str,
    now: datetime,
    run_at: datetime | None,
    dedup_key: str | None,
    max_attempts: int,
    payload: dict[str, Any],
    operator_id: uuid.UUID | None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "operator_id": operator_id,
        "name": name,
        "payload": payload,
        "status": "queued",
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedup_key": dedup_key,
        "created_at": now,
        "priority": PRIORITY_DEFAULT,
    }


def add_job(
    session: Session,
    name: str,
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedup_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    operator_id: uuid.UUID | None = None,
    **payload: Any,
) -> uuid.UUID:
    """`enqueue` without the look-up, for a `dedup_key` the caller knows is new: one derived from a
    row this transaction has just inserted under its own unique key. Should it be taken after all,
    the unique index refuses it and the transaction fails rather than queueing twice. Returns the
    job's id; no ORM object is made (this runs several times in every write request)."""
    values = _job_values(name, now, run_at, dedup_key, max_attempts, payload, operator_id)
    append_values(session, Job, values)
    job_id: uuid.UUID = values["id"]
    return job_id


def add_jobs(
    session: Session,
    name: str,
    *,
    now: datetime,
    jobs: list[tuple[str, dict[str, Any]]],
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    operator_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """`add_job` for several jobs of one kind at once, each a `(dedup_key, payload)`: one
    statement for all of them."""
    rows = [
        _job_values(name, now, None, key, max_attempts, payload, operator_id)
        for key, payload in jobs
    ]
    if rows:
        append_values(session, Job, rows)
    return [row["id"] for row in rows]


def enqueue_once(
    session: Session,
    name: str,
    *,
    now: datetime,
    dedup_key: str,
    run_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    **payload: Any,
) -> Job:
    """`enqueue` that also survives a concurrent transaction inserting the same `dedup_key`.

    Two workers may queue the same periodic slot at once (both start together); the loser's insert
    fails on the unique key inside a savepoint, and the winner's row is returned instead.
    """
    try:
        with session.begin_nested():
            return enqueue(
                session,
                name,
                now=now,
                run_at=run_at,
                dedup_key=dedup_key,
                max_attempts=max_attempts,
                **payload,
            )
    except IntegrityError:
        return session.scalars(select(Job).where(Job.dedup_key == dedup_key)).one()
