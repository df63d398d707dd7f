"""The one limiter for every way a confirmation code is sent or answered: API and portal alike.

A code costs an SMS or an e-mail to the subscriber, and every fresh code brings fresh tries, so
sending is limited per line and per client address, and answering per case and per client.
Counting happens in the database (table `rate_limit_counters`), so every process of a scaled
deployment shares the same fixed windows. The edge counts a hit in its own short transaction,
committed before the request runs: a request that then fails still counts.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from simexit.errors import DomainError
from simexit.models import RateLimitCounter


@dataclass(frozen=True, slots=True)
class Limit:
    hits: int
    window: timedelta


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Defaults: 5 codes per line per hour, 10 answers per case per 15 minutes (the service also
    locks a code after its attempts run out), and per client address 30 sends and 60 answers
    per 10 minutes."""

    start_per_line: Limit = Limit(5, timedelta(hours=1))
    confirm_per_case: Limit = Limit(10, timedelta(minutes=15))
    start_per_client: Limit = Limit(30, timedelta(minutes=10))
    confirm_per_client: Limit = Limit(60, timedelta(minutes=10))


class TooManyAttempts(DomainError):
    """Refused until the window ends; `retry_after` is in whole seconds (HTTP Retry-After)."""

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many attempts", retry_after=retry_after)
        self.retry_after = retry_after


def hit(session: Session, *, name: str, limit: Limit, now: datetime) -> int | None:
    """Count one hit; return seconds until the window ends if the limit is exceeded, else None.

    One upsert that returns the new count, so concurrent hits on either database are all
    counted (no read-then-write)."""
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


def _count(session: Session, checks: list[tuple[str, Limit]], now: datetime) -> int | None:
    session.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now))
    waits = [
        wait for name, limit in checks if (wait := hit(session, name=name, limit=limit, now=now))
    ]
    return max(waits) if waits else None


def count_code_send(
    session: Session, limits: CodeLimits, *, line_id: uuid.UUID, client: str, now: datetime
) -> int | None:
    """Count a code about to be sent for a line; seconds to wait when over a limit, else None."""
    return _count(
        session,
        [
            (f"verify.start.line:{line_id}", limits.start_per_line),
            (f"verify.start.client:{client}", limits.start_per_client),
        ],
        now,
    )


def count_code_answer(
    session: Session, limits: CodeLimits, *, case_id: uuid.UUID, client: str, now: datetime
) -> int | None:
    """Count an answer to a case's code; seconds to wait when over a limit, else None."""
    return _count(
        session,
        [
            (f"verify.confirm.case:{case_id}", limits.confirm_per_case),
            (f"verify.confirm.client:{client}", limits.confirm_per_client),
        ],
        now,
    )


def refuse_if_over(retry_after: int | None) -> None:
    """Raise after the hit was committed, so refused attempts count too."""
    if retry_after is not None:
        raise TooManyAttempts(retry_after)


# Wrong account PINs per subscriber: a PIN does not change between cases as a code does, so its
# tries are counted per subscriber, across cases and channels, and the PIN locks for the window.
PIN_FAILURES = Limit(5, timedelta(hours=24))


def _window_key(name: str, limit: Limit, now: datetime) -> tuple[str, datetime]:
    seconds = int(limit.window.total_seconds())
    epoch = int(now.timestamp())
    window_start = epoch - epoch % seconds
    return f"{name}:{window_start}"[:200], datetime.fromtimestamp(window_start + seconds, UTC)


def pin_failures_key(subscriber_id: uuid.UUID) -> str:
    return f"verify.pin.subscriber:{subscriber_id}"


def hits_so_far(session: Session, *, name: str, limit: Limit, now: datetime) -> int:
    """The hits `name` has in the current window of `limit`. Counts nothing: callers that count
    only failures read this first and `hit` on a failure."""
    key, _ = _window_key(name, limit, now)
    counter = session.get(RateLimitCounter, key)
    return 0 if counter is None else counter.hits
