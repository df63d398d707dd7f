"""Engines, sessions and the declarative base.

One transaction per request, job or command: `session_scope()` commits on success and rolls back
on error; services only `flush()`.

SQLite (the embedded default) runs in WAL mode with foreign keys on. Its write transactions start
with `BEGIN IMMEDIATE` so two writers queue on the database lock instead of failing half-way with
"database is locked" on upgrade; that is what "serialized on SQLite" means throughout simexit.
"""

from __future__ import annotations

import sqlite3
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
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


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
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-write unit of work: commit on success, roll back on any error."""
        with self._sessions() as session:
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
