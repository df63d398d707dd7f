"""Housekeeping of signing in: ended sessions and forgotten sign-in failures are deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.orm import Session

from simexit.jobs.registry import periodic
from simexit.signin import sessions, throttle

log = structlog.get_logger()

PURGE_BATCH = 10_000


@periodic("signin.purge", every=timedelta(minutes=30))
def purge(session: Session, *, now: datetime) -> None:
    ended = sessions.purge(session, now=now, limit=PURGE_BATCH)
    forgotten = throttle.purge_expired(session, now=now)
    if ended or forgotten:
        log.info("signin.purged", sessions=ended, failures=forgotten)
