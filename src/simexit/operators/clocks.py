"""Each operator's "now": the wall clock, or a sandbox operator's test clock.

Every edge takes `now` once (a request, a job run, a scan) and passes it down; `now_for` is the
one place that turns the wall clock's `now` into the operator's. An operator without a test clock
(every production operator) costs no statement: which operators have one is read once per
`CLOCKED_TTL_SECONDS` per database and kept in the process. Only for an operator on a test clock
is its time read, in the caller's transaction, so an advance made by another process is seen by
the next request. A clock made in another process is seen here within the TTL (this process
sees its own at once: `forget`).
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from simexit.models import Operator, TestClock

CLOCKED_TTL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class _Clocked:
    ids: frozenset[uuid.UUID]
    loaded_at: float


# Keyed by the connection pool: a database's sessions come from engines with different
# execution options (read, write, no-wait), which are distinct objects sharing one pool.
_cache: weakref.WeakKeyDictionary[Pool, _Clocked] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _engine(session: Session) -> Pool:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.pool


def clocked_ids(session: Session) -> frozenset[uuid.UUID]:
    """The operators on a test clock in this database, from the process's cache when fresh."""
    engine = _engine(session)
    cached = _cache.get(engine)
    if cached is not None and time.monotonic() - cached.loaded_at < CLOCKED_TTL_SECONDS:
        return cached.ids
    ids = frozenset(session.scalars(select(TestClock.operator_id)))
    with _lock:
        _cache[engine] = _Clocked(ids, time.monotonic())
    return ids


def forget(session: Session) -> None:
    """Read the clocked operators again at the next call (this process made a clock), and
    again once the transaction commits: a look-up in between (another session) would cache the
    operators as they were before the new clock was visible."""
    engine = _engine(session)

    def drop(*_: object) -> None:
        with _lock:
            _cache.pop(engine, None)

    drop()
    event.listen(session, "after_commit", drop, once=True)


def now_for(session: Session, operator_id: uuid.UUID | None, wall: datetime) -> datetime:
    """The operator's now: its test clock's frozen time, or `wall` (no operator, or no clock)."""
    if operator_id is None or operator_id not in clocked_ids(session):
        return wall
    frozen = session.scalar(
        select(TestClock.frozen_time).where(TestClock.operator_id == operator_id)
    )
    return frozen if frozen is not None else wall


def clocked(session: Session) -> dict[uuid.UUID, datetime]:
    """The operators on a test clock, with its time; empty, with no statement, when none is."""
    if not clocked_ids(session):
        return {}
    rows = session.execute(select(TestClock.operator_id, TestClock.frozen_time))
    return {row.operator_id: row.frozen_time for row in rows}


def is_sandbox(session: Session, operator_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(Operator.sandbox).where(Operator.id == operator_id)))
