"""Writing jobs. A job is a row in the caller's transaction: rolled-back state leaves no job."""

from __future__ import annotations

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
        existing = session.scalars(select(Job).where(Job.dedup_key == dedup_key)).first()
        if existing is not None:
            return existing
    job = Job(
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
    session.flush()
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
