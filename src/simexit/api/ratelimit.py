"""Fixed-window rate limits on the verification endpoints, counted in the database.

Counting in the database (table `rate_limit_counters`) means every `simexit serve` process of a
scaled deployment shares the same windows; nothing lives in process memory. Each hit is its own
short transaction, committed before the request runs, so a request that fails still counts.
Limits are per case line (a code costs an SMS to the subscriber's phone) and per client address.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Depends, Request
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ClockDep, RuntimeDep
from simexit.api.errors import ApiError
from simexit.cases import repository
from simexit.models import RateLimitCounter


@dataclass(frozen=True, slots=True)
class Limit:
    hits: int
    window: timedelta


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Defaults: 5 codes per line per hour, 10 answers per case per 15 minutes (the service also
    locks a code after its attempts run out), and per client address 30 starts and 60 answers
    per 10 minutes."""

    start_per_line: Limit = Limit(5, timedelta(hours=1))
    confirm_per_case: Limit = Limit(10, timedelta(minutes=15))
    start_per_client: Limit = Limit(30, timedelta(minutes=10))
    confirm_per_client: Limit = Limit(60, timedelta(minutes=10))


def hit(session: Session, *, name: str, limit: Limit, now: datetime) -> int | None:
    """Count one hit; return seconds until the window ends if the limit is exceeded, else None."""
    seconds = int(limit.window.total_seconds())
    epoch = int(now.timestamp())
    window_start = epoch - epoch % seconds
    expires_at = datetime.fromtimestamp(window_start + seconds, UTC)
    key = f"{name}:{window_start}"[:200]
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RateLimitCounter).values(key=key, hits=1, expires_at=expires_at)
    hits = session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"hits": RateLimitCounter.hits + 1}
        ).returning(RateLimitCounter.hits)
    ).scalar_one()
    if hits > limit.hits:
        return max(1, math.ceil((expires_at - now).total_seconds()))
    return None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _count(session: Session, checks: list[tuple[str, Limit]], now: datetime) -> int | None:
    session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
    waits = [
        wait for name, limit in checks if (wait := hit(session, name=name, limit=limit, now=now))
    ]
    return max(waits) if waits else None


def _refuse(retry_after: int | None) -> None:
    """Raised after the hit was committed, so refused attempts count too."""
    if retry_after is not None:
        raise ApiError(
            "too many attempts",
            code="rate_limited",
            status=429,
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )


def limit_verification_start(
    case_id: uuid.UUID, request: Request, runtime: RuntimeDep, actor: ActorDep, clock: ClockDep
) -> None:
    limits: RateLimits = request.app.state.rate_limits
    with runtime.db.session() as session:
        case = repository.get_case(session, actor, case_id)  # 404 before counting anything
        retry_after = _count(
            session,
            [
                (f"verify.start.line:{case.line_id}", limits.start_per_line),
                (f"verify.start.client:{_client(request)}", limits.start_per_client),
            ],
            clock(),
        )
    _refuse(retry_after)


def limit_verification_confirm(
    case_id: uuid.UUID, request: Request, runtime: RuntimeDep, actor: ActorDep, clock: ClockDep
) -> None:
    limits: RateLimits = request.app.state.rate_limits
    with runtime.db.session() as session:
        repository.get_case(session, actor, case_id)
        retry_after = _count(
            session,
            [
                (f"verify.confirm.case:{case_id}", limits.confirm_per_case),
                (f"verify.confirm.client:{_client(request)}", limits.confirm_per_client),
            ],
            clock(),
        )
    _refuse(retry_after)


VerificationStartLimit = Depends(limit_verification_start)
VerificationConfirmLimit = Depends(limit_verification_confirm)
