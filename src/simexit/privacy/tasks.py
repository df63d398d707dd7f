"""Job handlers: an erasure asked for is carried out by a job written with the request."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.jobs.registry import exponential, job
from simexit.privacy import service


@job(service.ERASE_JOB, max_attempts=10, backoff=exponential(base_seconds=60, cap_seconds=3600))
def erase_on_request(session: Session, *, now: datetime, request_id: str) -> None:
    service.carry_out(session, request_id=uuid.UUID(request_id), now=now)
