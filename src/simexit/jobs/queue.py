"""Writing jobs. A job is a row in the caller's transaction: rolled-back state leaves no job.

The row is added, not flushed: its id is set here, so callers can use it at once, and the unit of
work inserts it with the transaction's other rows (at the next query's autoflush, or the commit).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simexit.models import Job

DEFAULT_MAX_ATTEMPTS = 8


def enqueue(
    session: Session,
    name: str,
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedup_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    **payload: Any,
) -> Job:
    """Add a job to this transaction. With a `dedup_key` already taken, the existing job is returned.

    The payload must be JSON-safe (ids as strings).
    """
    if dedup_key is not None:
        # The query autoflushes first, so a job with this key added earlier in the same
        # transaction is found too.
        existing = session.scalars(select(Job).where(Job.dedup_key == dedup_key)).first()
        if existing is not None:
            return existing
    return add_job(
        session,
        name,
        now=now,
        run_at=run_at,
        dedup_key=dedup_key,
        max_attempts=max_attempts,
        **payload,
    )


def add_job(
    session: Session,
    name: str,
    *,
    now: datetime,
    run_at: datetime | None = None,
    dedup_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    **payload: Any,
) -> Job:
    """`enqueue` without the look-up, for a `dedup_key` the caller knows is new: one derived from a
    row this transaction has just inserted under its own unique key. Should it be taken after all,
    the unique index refuses it and the transaction fails rather than queueing twice."""
    job = Job(
        id=uuid.uuid4(),
        name=name,
        payload=payload,
        status="queued",
        run_at=run_at or now,
        attempts=0,
        max_attempts=max_attempts,
        dedup_key=dedup_key,
        created_at=now,
    )
    session.add(job)
    return job


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
