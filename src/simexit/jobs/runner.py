"""Claiming and running due jobs: the engine under `simexit worker` and the embedded server.

Claiming. One short write transaction marks up to `batch_size` due jobs `running`, with this
worker's id, the claim time and a lease. Due means `queued` with `run_at <= now`, or `running`
with an expired lease (its worker died). On PostgreSQL the rows are picked with
`FOR UPDATE SKIP LOCKED`, so any number of workers claim disjoint batches without waiting on each
other; on SQLite the claim is a `BEGIN IMMEDIATE` write transaction, so claimers queue on the
database lock and never see the same row as free. Claiming counts the attempt, so a job that
kills its worker every time still ends up dead instead of looping.

Running. Each job runs in its own transaction, whose first statement marks the job `done` — but
only if this worker's claim still holds (same `locked_by` and `locked_at`). That update takes the
row lock, so no other worker can reclaim the job while it runs, and the handler's writes commit
together with `done` or not at all: a worker killed mid-job leaves neither, and the job is
claimed again when its lease expires. Effects outside the database (an e-mail, an HTTP call)
cannot join the transaction; their handlers make them idempotent (see `simexit.jobs`).

Exchanging. A job registered with an `Exchange` (`registry.exchange_job`) first reads what to
send in a read-only transaction (which also checks that the claim still holds), then makes the
call with no transaction open, then records the outcome in its own transaction as above. On
SQLite a write transaction holds the one write lock of the file, so a one-step handler that
waited on an SMTP server or a webhook receiver made every API write wait with it, up to the
transport's timeout; an exchange holds the lock only to record. Nothing holds the job during
the call, so the call only starts under a live lease, and the lease must outlast it (settings
ask for 30 s or more; the transports time out within 20 s).

Failing. An exception rolls the job's transaction back; a fresh transaction then records the
error (short, with anything that looks like a credential removed), sets `run_at` by the job's
back-off, or marks the job `dead` after `max_attempts`. A handler that must keep its writes while
failing (a delivery log row) raises `AttemptFailed` instead: its transaction is kept and the
failure recorded in it.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from simexit.clock import utc_now
from simexit.db import Database, is_sqlite
from simexit.jobs import registry
from simexit.jobs.queue import enqueue_once
from simexit.jobs.registry import Exchange, JobSpec
from simexit.models import Job
from simexit.operators import clocks as operator_clocks

log = structlog.get_logger()

DEFAULT_LEASE_SECONDS = 300
MAX_ERROR_LENGTH = 400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Credentials that gateway errors like to echo back (URLs with query strings, auth headers).
_SECRET_PATTERN = re.compile(
    r"(?i)(password|passwd|pwd|secret|token|api[_-]?key|authorization)([=:]\s*)([^&\s,;'\"]+)"
)
_URL_USERINFO = re.compile(r"(?i)(\w+://)[^/@\s]+@")


# Built once: constructing the statement per job costs more than running it (see bench/).
_jobs = Job.__table__
if not isinstance(_jobs, Table):  # pragma: no cover - narrows the type for mypy
    raise TypeError("jobs must be a Table")
_MARK_DONE = (
    update(_jobs)
    .where(
        _jobs.c.id == bindparam("job_id"),
        _jobs.c.locked_by == bindparam("worker_id"),
        _jobs.c.locked_at == bindparam("claimed_at"),
        _jobs.c.status == "running",
    )
    .values(status="done", finished_at=bindparam("finished"), lease_expires_at=None)
)


class AttemptFailed(Exception):
    """Raised by a handler that recorded its own failed attempt: keep the writes, retry later."""


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    attempts: int  # including this one
    max_attempts: int
    locked_at: datetime
    # The operator's test-clock time the job runs at; None: the runner's `now` (the wall clock).
    clock_time: datetime | None = None


def short_error(error: BaseException | str) -> str:
    """The error as one short line, with credentials removed, fit for `last_error` and logs."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text = _SECRET_PATTERN.sub(r"\1\2***", " ".join(text.split()))
    text = _URL_USERINFO.sub(r"\1***@", text)
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


def slot_start(now: datetime, every: timedelta) -> datetime:
    return _EPOCH + ((now - _EPOCH) // every) * every


def periodic_dedup_key(name: str, slot: datetime) -> str:
    return f"periodic:{name}:{slot:%Y%m%dT%H%M%SZ}"


def _enqueue_slot(session: Session, spec: JobSpec, slot: datetime, *, now: datetime) -> Job:
    return enqueue_once(
        session,
        spec.name,
        now=now,
        run_at=slot,
        dedup_key=periodic_dedup_key(spec.name, slot),
        max_attempts=spec.max_attempts,
    )


def _schedule_next_slot(session: Session, spec: JobSpec, *, now: datetime) -> Job:
    # Missed slots (a worker down for an hour) are not replayed: scans catch up by design.
    every = spec.every or timedelta(minutes=1)  # only periodic specs get here
    return _enqueue_slot(session, spec, slot_start(now, every) + every, now=now)


def ensure_periodic_jobs(session: Session, *, now: datetime) -> list[Job]:
    """Make sure every registered periodic job has a queued (or running) run; return them."""
    waiting: list[Job] = []
    for spec in registry.periodic_specs():
        every = spec.every or timedelta(minutes=1)
        pending = session.scalars(
            select(Job).where(Job.name == spec.name, Job.status.in_(("queued", "running"))).limit(1)
        ).first()
        if pending is not None:
            waiting.append(pending)
            continue
        current = _enqueue_slot(session, spec, slot_start(now, every), now=now)
        if current.status in ("done", "dead"):  # this slot already ran: wait for the next one
            current = _schedule_next_slot(session, spec, now=now)
        waiting.append(current)
    return waiting


def _due_queued(
    session: Session, *, now: datetime, batch_size: int, operator_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, datetime | None]]:
    """Ids of queued jobs that are due, each with the test-clock time it runs at (None: `now`).

    Due is `run_at <= now`, except for a sandbox operator on a test clock (`operators.clocks`),
    whose jobs are due by that clock. With no sandbox operator this is the one statement it
    always was. `operator_id`: only that operator's jobs (a test clock's advance)."""
    skip_locked = not is_sqlite(session)
    clocks = operator_clocks.clocked(session)

    def pick(*conditions: Any, limit: int) -> list[uuid.UUID]:
        queued = (
            select(Job.id)
            .where(Job.status == "queued", *conditions)
            .order_by(Job.priority, Job.run_at)
            .limit(limit)
        )
        if skip_locked:
            queued = queued.with_for_update(skip_locked=True)
        return list(session.scalars(queued))

    if operator_id is not None:
        frozen = clocks.get(operator_id)
        at = frozen if frozen is not None else now
        ids = pick(Job.operator_id == operator_id, Job.run_at <= at, limit=batch_size)
        return [(job_id, frozen) for job_id in ids]
    if not clocks:
        return [(job_id, None) for job_id in pick(Job.run_at <= now, limit=batch_size)]
    unclocked = or_(Job.operator_id.is_(None), Job.operator_id.not_in(list(clocks)))
    found: list[tuple[uuid.UUID, datetime | None]] = [
        (job_id, None) for job_id in pick(unclocked, Job.run_at <= now, limit=batch_size)
    ]
    for clocked_id, frozen in clocks.items():
        if len(found) >= batch_size:
            break
        ids = pick(
            Job.operator_id == clocked_id, Job.run_at <= frozen, limit=batch_size - len(found)
        )
        found.extend((job_id, frozen) for job_id in ids)
    return found


def claim(
    db: Database,
    *,
    now: datetime,
    worker_id: str,
    batch_size: int,
    lease: timedelta,
    operator_id: uuid.UUID | None = None,
) -> list[ClaimedJob]:
    """Mark up to `batch_size` due jobs as running for this worker, in one short transaction."""
    with db.session() as session:
        skip_locked = not is_sqlite(session)
        due = dict(_due_queued(session, now=now, batch_size=batch_size, operator_id=operator_id))
        ids = list(due)
        if len(ids) < batch_size and operator_id is None:
            abandoned = (
                select(Job.id)
                .where(Job.status == "running", Job.lease_expires_at <= now)
                .limit(batch_size - len(ids))
            )
            if skip_locked:
                abandoned = abandoned.with_for_update(skip_locked=True)
            ids.extend(session.scalars(abandoned))
        if not ids:
            return []
        rows = session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(
                status="running",
                locked_by=worker_id,
                locked_at=now,
                lease_expires_at=now + lease,
                attempts=Job.attempts + 1,
            )
            .returning(
                Job.id, Job.name, Job.payload, Job.attempts, Job.max_attempts, Job.operator_id
            )
            .execution_options(synchronize_session=False)
        ).all()
        # A job abandoned by a dead worker runs at its operator's time too.
        missing = {row.operator_id for row in rows if row.id not in due} - {None}
        clocks = operator_clocks.clocked(session) if missing else {}
    return [
        ClaimedJob(
            row.id,
            row.name,
            dict(row.payload or {}),
            row.attempts,
            row.max_attempts,
            now,
            due[row.id] if row.id in due else clocks.get(row.operator_id),
        )
        for row in rows
    ]


def _still_ours(claimed: ClaimedJob, worker_id: str) -> Any:
    return and_(
        Job.id == claimed.id,
        Job.locked_by == worker_id,
        Job.locked_at == claimed.locked_at,
    )


def _record_failure(
    session: Session,
    spec: JobSpec | None,
    claimed: ClaimedJob,
    *,
    now: datetime,
    worker_id: str,
    error: str,
    force_dead: bool = False,
) -> str:
    dead = spec is None or force_dead or claimed.attempts >= claimed.max_attempts
    values: dict[str, Any] = {
        "last_error": error,
        "locked_by": None,
        "lease_expires_at": None,
    }
    if spec is None or dead:
        values.update(status="dead", finished_at=now)
    else:
        values.update(
            status="queued",
            finished_at=None,
            run_at=(claimed.clock_time or now) + spec.backoff.delay(claimed.attempts),
        )
    result = session.execute(
        update(Job)
        .where(_still_ours(claimed, worker_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return "lost_claim"
    if dead and spec is not None:
        if spec.on_dead is not None:
            spec.on_dead(session, now=claimed.clock_time or now, error=error, **claimed.payload)
        if spec.every is not None:
            _schedule_next_slot(session, spec, now=now)
    return "dead" if dead else "retry"


@contextmanager
def _job_transaction(db: Database, connection: Connection | None) -> Iterator[Session]:
    """The job's own transaction: on the batch's connection (see `drain`) or in a new session.

    On the batch's connection the transaction belongs to the connection, and the handler's
    session joins it: its writes are flushed before the commit, and an exception rolls back the
    whole transaction (done mark included) and nothing else."""
    if connection is None:
        with db.session() as session:
            yield session
        return
    with db.writing(), connection.begin(), db.session_on(connection) as session:
        yield session
        session.flush()


def run_claimed(
    db: Database,
    claimed: ClaimedJob,
    *,
    now: datetime,
    worker_id: str,
    connection: Connection | None = None,
) -> str:
    """Run one claimed job to its outcome: done | retry | dead | lost_claim.

    With `connection` (the batch's, idle) the job's transaction runs on it; it is still the
    job's own transaction, begun and committed or rolled back here. Failures are recorded in a
    new session, in case the batch's connection is what failed."""
    bound = log.bind(job_id=str(claimed.id), job=claimed.name, attempt=claimed.attempts)
    spec = registry.get(claimed.name)
    if spec is None or claimed.attempts > claimed.max_attempts:
        error = (
            f"no handler is registered for job name {claimed.name!r} in this worker"
            if spec is None
            else "the worker stopped during the last allowed attempt (lease expired)"
        )
        with db.session() as session:
            outcome = _record_failure(
                session, spec, claimed, now=now, worker_id=worker_id, error=error, force_dead=True
            )
        bound.error("job.dead", error=error)
        return outcome
    try:
        arguments = claimed.payload  # an exchange's `record` gets its plan and result instead
        if spec.exchange is not None:
            exchanged = _exchange(db, spec.exchange, claimed, now=now, worker_id=worker_id)
            if exchanged is None:
                bound.warning("job.claim_lost")
                return "lost_claim"
            arguments = {"plan": exchanged[0], "result": exchanged[1]}
        with _job_transaction(db, connection) as session:
            marked = (connection or session.connection()).execute(
                _MARK_DONE,
                {
                    "job_id": claimed.id,
                    "worker_id": worker_id,
                    "claimed_at": claimed.locked_at,
                    "finished": now,
                },
            )
            if marked.rowcount != 1:
                bound.warning("job.claim_lost")
                return "lost_claim"
            try:
                spec.handler(session, now=claimed.clock_time or now, **arguments)
                if spec.per_operator:
                    _scan_clocked_operators(session, spec)
            except AttemptFailed as failure:
                outcome = _record_failure(
                    session,
                    spec,
                    claimed,
                    now=now,
                    worker_id=worker_id,
                    error=short_error(str(failure)),
                )
                bound.warning(f"job.{outcome}", error=short_error(str(failure)))
                return outcome
            if spec.every is not None:
                _schedule_next_slot(session, spec, now=now)
    except Exception as exc:
        error = short_error(exc)
        with db.session() as session:
            outcome = _record_failure(
                session, spec, claimed, now=now, worker_id=worker_id, error=error
            )
        bound.warning(f"job.{outcome}", error=error)
        return outcome
    bound.info("job.done")
    return "done"


def _scan_clocked_operators(session: Session, spec: JobSpec) -> None:
    """The scheduled run of a per-operator scan left operators on a test clock out; it looks at
    each of them at its clock's time too. An advance runs the same scans at once; this catches up
    one whose due work did not finish (the process stopped, a scan failed). Nothing to do, and
    no statement, when no operator is on a clock."""
    for operator_id, clock_time in operator_clocks.clocked(session).items():
        spec.handler(session, now=clock_time, operator_id=operator_id)


def _exchange(
    db: Database, exchange: Exchange, claimed: ClaimedJob, *, now: datetime, worker_id: str
) -> tuple[Any, Any] | None:
    """Plan in a read-only transaction, then send with none open: (plan, result), or None when
    the claim no longer holds or its lease has run out. Nothing holds the job while the call is
    under way, so a call is only started under a live lease: the lease outlasts any call."""
    with db.read_session() as session:
        ours = session.execute(
            select(Job.id).where(
                _still_ours(claimed, worker_id),
                Job.status == "running",
                Job.lease_expires_at > now,
            )
        ).first()
        if ours is None:
            return None
        plan = exchange.plan(session, now=claimed.clock_time or now, **claimed.payload)
    return plan, (exchange.send(plan) if plan is not None else None)


def release(db: Database, claimed: Sequence[ClaimedJob], *, worker_id: str) -> None:
    """Give back claimed jobs that were not started (graceful stop), without counting an attempt."""
    if not claimed:
        return
    with db.session() as session:
        for job in claimed:
            session.execute(
                update(Job)
                .where(_still_ours(job, worker_id), Job.status == "running")
                .values(
                    status="queued",
                    locked_by=None,
                    lease_expires_at=None,
                    attempts=Job.attempts - 1,
                )
                .execution_options(synchronize_session=False)
            )


def drain(
    db: Database,
    *,
    clock: Callable[[], datetime],
    worker_id: str,
    batch_size: int,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    stop: threading.Event | None = None,
    before_each_batch: Callable[[], object] | None = None,
) -> int:
    """Claim and run batches until nothing is due (or `stop` is set); return how many ran.
    `before_each_batch` runs before every claim, the empty one included (the worker seals the
    audit trail there, so a long queue of jobs does not hold the seals back)."""
    lease = timedelta(seconds=lease_seconds)
    ran = 0
    while stop is None or not stop.is_set():
        if before_each_batch is not None:
            before_each_batch()
        batch = claim(db, now=clock(), worker_id=worker_id, batch_size=batch_size, lease=lease)
        if not batch:
            break
        # One connection for the batch: each job is still its own transaction on it (handler
        # writes and the done mark commit together; a failure rolls back that job only), but the
        # pool checkout, pre-ping (PostgreSQL) and reset are paid once, not per job.
        with db.engine.connect() as connection:
            for index, claimed in enumerate(batch):
                if stop is not None and stop.is_set():
                    release(db, batch[index:], worker_id=worker_id)
                    return ran
                run_claimed(db, claimed, now=clock(), worker_id=worker_id, connection=connection)
                ran += 1
    return ran


def run_pending(
    db: Database,
    *,
    now: datetime | None = None,
    worker_id: str,
    batch_size: int = 20,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
) -> int:
    """Run every job due at `now` (the wall clock when None), batch by batch; return the count.

    With a fixed `now`, a job that fails is rescheduled after `now` and is not run again in this
    call, so tests drive retries by calling again with a later `now`.
    """

    def clock() -> datetime:
        return now if now is not None else utc_now()

    return drain(
        db, clock=clock, worker_id=worker_id, batch_size=batch_size, lease_seconds=lease_seconds
    )
