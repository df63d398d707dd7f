"""Where an edge on the event loop runs its transaction: the one runner of every async edge.

An async handler (the JSON API, the portal, the console) never touches the database or runs
CPU-heavy work (argon2) on the event loop itself in a way that can wait: it hands the work to
`run_write`, `run_read` or `run_blocking`. The sync edges (the CLI, the job worker, the worker
thread of `simexit serve`) already run in a thread of their own and open `Database.session()`
directly, which is the same unit of work these functions open.

Write transactions (`run_write`, or `run_attempts` for a caller that opens the session itself):

- On SQLite the work runs right here on the event loop. SQLite is a library in this process, so
  its writes are CPU work under one lock, and handing them to a worker thread bought no
  concurrency, only a thread hop and GIL hand-offs that cost more than many a write. The session
  is opened with `wait=False`: when another thread of this process is writing (the job worker of
  `simexit serve`, another request), nothing has been written yet, so the caller awaits the
  in-process writer lock's release and tries again, still on the loop. (Sending such requests to
  the thread pool instead formed convoys: once one waited there, the next found the lock taken by
  it, and every write paid the thread hop until the queue drained.) When another *process* holds
  SQLite's own lock, the work runs in the thread pool, where waiting in SQLite's busy handler
  blocks nobody else.
- On PostgreSQL every transaction is network round-trips that may wait on row or table locks, so
  it always runs in the thread pool.

Read transactions always run in the thread pool: on PostgreSQL a read is round-trips too (and a
table lock held elsewhere stops it), and pages render their reads with templates that are not
worth a second code path for SQLite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from simexit.db import Database, WriterBusy

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Attempt(Protocol[T_co]):
    """One try at a write transaction that opens `db.session(wait=wait)` itself. With
    `wait=False` it raises `WriterBusy` before anything is written, so it can simply be tried
    again, which is why it must do nothing outside the database before its first statement that
    cannot be done twice."""

    def __call__(self, *, wait: bool) -> T_co: ...


async def run_attempts(db: Database, attempt: Attempt[T]) -> T:
    """Run a write transaction without blocking the event loop (see the module docstring)."""
    if db.is_sqlite:
        while True:
            try:
                return attempt(wait=False)
            except WriterBusy as busy:
                if not busy.in_process:
                    break
            await db.writer_released()
    return await run_in_threadpool(attempt, wait=True)


async def run_write(db: Database, work: Callable[[Session], T]) -> T:
    """`work` in one read-write transaction, committed when it returns and rolled back when it
    raises; the exception reaches the caller."""

    def attempt(*, wait: bool) -> T:
        with db.session(wait=wait) as session:
            return work(session)

    return await run_attempts(db, attempt)


async def run_read(db: Database, work: Callable[[Session], T]) -> T:
    """`work` in one read-only transaction, in the thread pool."""

    def read() -> T:
        with db.read_session() as session:
            return work(session)

    return await run_in_threadpool(read)


async def run_blocking(work: Callable[[], T]) -> T:
    """CPU-heavy work with no database (a password hash) in the thread pool."""
    return await run_in_threadpool(work)
