"""Running Alembic from inside simexit: `simexit db upgrade`, start-up, readiness checks, tests.

Any number of `simexit serve` and `simexit worker` processes may start at once on an empty
database, so every upgrade runs inside `start_up_transaction`: one transaction holding a lock
that every simexit process takes the same way. The first process in migrates (and, if asked,
seeds: see `cli.startup`); the others wait for it, then find the database at head and the demo
present. Without it two processes both saw no `alembic_version` table and both created it (on
PostgreSQL the loser crashed on `pg_type_typname_nsp_index`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final, cast

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# PostgreSQL advisory lock key: fixed, so every simexit process of every release contends for
# the same lock ("simexit" in ASCII, which fits in the bigint the function takes).
START_UP_LOCK_KEY: Final = int.from_bytes(b"simexit", "big")
# How long a process waits for another one's start-up (migration and demo seed) to finish
# before it gives up with an error instead of hanging.
START_UP_LOCK_WAIT_SECONDS: Final = 300

log = structlog.get_logger()


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def start_up_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction on one connection that holds the database's start-up lock until it ends
    (committed on success, rolled back on error).

    PostgreSQL: a transaction-level advisory lock (`pg_advisory_xact_lock`) on a fixed key,
    released by the commit. SQLite: the file's write lock, which `BEGIN IMMEDIATE` (db.py's begin
    hook) takes at the start of the transaction."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection, connection.begin():
            # lock_timeout bounds the wait for the advisory lock too.
            connection.execute(text(f"SET LOCAL lock_timeout = '{START_UP_LOCK_WAIT_SECONDS}s'"))
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": START_UP_LOCK_KEY}
            )
            yield connection
        return
    with _sqlite_write_locked(engine) as connection:
        yield connection


class ForeignKeysBroken(RuntimeError):
    """A start-up transaction on SQLite left rows pointing at rows that do not exist."""

    def __init__(self, violations: list[tuple[str, int, str]]) -> None:
        shown = ", ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent in violations)
        super().__init__(f"the migration broke foreign keys ({shown}); nothing was committed")


@contextmanager
def _sqlite_write_locked(engine: Engine) -> Iterator[Connection]:
    """SQLite's busy handler waits 30 s (db.py) for the write lock, less than a demo seed may
    take on a busy machine with several processes queued: try again until the start-up wait is
    over, on a fresh connection each time.

    Foreign keys are checked once, before the commit, instead of row by row: changing a table's
    constraints on SQLite means rebuilding the table (Alembic's batch mode), and dropping the old
    copy of a table that other rows point at fails row by row even though the rebuilt copy has
    every row back. This is SQLite's own procedure for such changes (sqlite.org/lang_altertable,
    "Making Other Kinds Of Table Schema Changes"); the pragma can only change outside a
    transaction, so it is set before BEGIN and set back before the connection is pooled again."""
    deadline = time.monotonic() + START_UP_LOCK_WAIT_SECONDS
    while True:
        connection = engine.connect()
        driver = cast(sqlite3.Connection, connection.connection.driver_connection)
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            transaction = connection.begin()
        except OperationalError as error:
            driver.execute("PRAGMA foreign_keys=ON")
            connection.close()
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            log.info("startup.waiting_for_database_lock")
            continue
        break
    try:
        with transaction:
            yield connection
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if violations:
                raise ForeignKeysBroken([(v[0], v[1], v[2]) for v in violations])
    finally:
        driver.execute("PRAGMA foreign_keys=ON")
        connection.close()


def upgrade_on(connection: Connection, revision: str = "head") -> None:
    """Run the migrations up to `revision` in the caller's transaction on `connection`."""
    config = alembic_config(connection.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate up to `revision` under the start-up lock, in one transaction."""
    with start_up_transaction(engine) as connection:
        upgrade_on(connection, revision)


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
