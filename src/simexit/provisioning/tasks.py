"""Jobs of provisioning: re-checking a line's blocked cases after a change that did not come
through a BSS event (a bulk import writes lines set-based, so it queues this per changed line
that has a blocked case, and the case moves on by itself once the new values allow it)."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy.orm import Session

from simexit.cases import tasks as case_tasks
from simexit.jobs.registry import job
from simexit.models import Line
from simexit.provisioning.events import RECHECK_JOB, recheck_blocked_cases

log = structlog.get_logger()


@job(RECHECK_JOB, max_attempts=5)
def recheck(session: Session, *, now: datetime, line_id: str) -> None:
    line = session.get(Line, uuid.UUID(line_id), with_for_update=True)
    if line is None:  # lines are never deleted; nothing to re-check
        return
    moved = recheck_blocked_cases(session, case_tasks.context().cases, line, now=now)
    log.info("line.recheck", line_id=line_id, moved=len(moved))
