"""Engines, sessions and the declarative base.

One transaction per request, job or command: `Database.session()` commits on success and rolls
back on error; services only `flush()`.

Write sessions do not autoflush. A query no longer writes the changes made so far first: the unit
of work writes them once, at the commit (or at an explicit `flush()` where a service needs to read
its own changes back through SQL). Append-only rows (audit events, jobs, notifications) skip the
unit of work altogether and are inserted at once (`append_row`, `append_values`), so look-ups of
them within the transaction, such as de-duplication, see them without a flush.

SQLite (the embedded default) runs in WAL mode with foreign keys on. Its write transactions start
with `BEGIN IMMEDIATE` so two writers queue on the database lock instead of failing half-way with
"database is locked" on upgrade; that is what "serialized on SQLite" means throughout simexit.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        mode = options.get("sqlite_begin", "IMMEDIATE")
        if not options.get("sqlite_no_wait"):
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        # Take the write lock now or not at all: a caller that must not block (the event loop)
        # would otherwise sit in SQLite's busy handler while another writer holds the lock.
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA busy_timeout=0")
        try:
            driver.execute(f"BEGIN {mode}")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise WriterBusy(in_process=False) from error
            raise
        finally:
            driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


class WriterBusy(Exception):
    """Another writer holds the database, and the session was told not to wait: another thread
    of this process (`in_process`, see `Database.writer_released`) or another connection, such
    as another process, holding SQLite's own write lock."""

    def __init__(self, *, in_process: bool) -> None:
        super().__init__(
            "another thread of this process is writing"
            if in_process
            else "another connection is writing"
        )
        self.in_process = in_process


class _WriterLock:
    """This process's SQLite writer lock. Threads block on it; a coroutine awaits `released`
    instead, so an event loop that found it taken waits for its turn without parking a thread.

    Re-entrant, so a thread that opens a write session inside another (before the outer one has
    written) is not stopped by itself. Every release wakes every waiting coroutine; those that
    lose the race for the lock wait again."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._guard = threading.Lock()
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def acquire(self, *, blocking: bool) -> bool:
        return self._lock.acquire(blocking=blocking)

    def release(self) -> None:
        self._lock.release()
        with self._guard:
            waiting, self._waiting = self._waiting, []
        for loop, future in waiting:
            # A loop that ended while one of its requests waited raises RuntimeError: nobody
            # is left to wake there.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, future)

    async def released(self) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._guard:
            self._waiting.append((loop, future))
        # The holder may have let go after the caller's attempt and before this registration,
        # with nobody to wake: look once more now that a release will be seen.
        if self._lock.acquire(blocking=False):
            self.release()
        await future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # a waiter whose request was cancelled meanwhile
        future.set_result(None)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "sqlite"


class Database:
    """An engine and its session factory; one per process, built at the edge from settings."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo, pool_size=pool_size)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        self._no_wait_sessions = sessionmaker(
            self.engine.execution_options(sqlite_no_wait=True),
            expire_on_commit=False,
            autoflush=False,
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite has one writer at a time. This process's writers (API requests, portal, the
        # worker thread of `simexit serve`) queue on this lock, an instant hand-off, instead of
        # in SQLite's busy handler, which sleeps and polls and turns contention into tail
        # latency. Other processes still meet the busy handler.
        self._sqlite_writer = _WriterLock() if self.is_sqlite else None

    @contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[None]:
        """Hold this process's SQLite writer lock (nothing on PostgreSQL, which has row locks).
        `wait=False` raises `WriterBusy` at once when another thread holds it."""
        lock = self._sqlite_writer
        if lock is None:
            yield
            return
        if not lock.acquire(blocking=wait):
            raise WriterBusy(in_process=True)
        try:
            yield
        finally:
            lock.release()

    async def writer_released(self) -> None:
        """Wait, without blocking the event loop, until a thread of this process lets go of the
        SQLite writer lock (returns at once on PostgreSQL). The lock may be taken again before
        the caller gets to it: try, and on `WriterBusy(in_process=True)` wait again."""
        if self._sqlite_writer is not None:
            await self._sqlite_writer.released()

    @contextmanager
    def session(self, *, wait: bool = True) -> Iterator[Session]:
        """A read-write unit of work: commit on success, roll back on any error.

        On SQLite it holds this process's writer lock (`writing`). `wait=False`: `WriterBusy`
        instead of waiting, at once when another thread of this process is writing, at the
        first statement when another connection is; nothing has been written then, so the
        caller can simply run the same work again where waiting is fine."""
        factory = self._sessions if wait or not self.is_sqlite else self._no_wait_sessions
        with self.writing(wait=wait), factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def session_on(self, connection: Connection) -> Session:
        """A session on a checked-out connection, for a caller that runs many short transactions
        in a row and ends each one itself (the job runner): it pays for one pool checkout (and,
        on PostgreSQL, one pre-ping) instead of one per transaction."""
        return self._sessions(bind=connection)

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only unit of work; on SQLite it does not take the write lock."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            # close() ends the transaction without expiring loaded objects, so rows read here
            # stay usable (detached) after the block.
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
