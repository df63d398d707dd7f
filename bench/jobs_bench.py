"""Jobs per second through the runner, against the raw database doing the same work.

    uv run python bench/jobs_bench.py [--jobs 5000] [--batch 100] [--pg postgresql+psycopg://...]

For each back end (SQLite always; PostgreSQL with --pg or SIMEXIT_TEST_DATABASE_URL) it queues
N no-op jobs and drains them twice, in the same run and the same database:
  * runner: `run_pending` (batched claim, one transaction per job, claim re-check, done mark);
  * raw: plain SQL doing the same claims (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED] + one
    UPDATE) and the same per-job UPDATE to done, one transaction each, no ORM.
It prints both rates and runner/raw. The aim is a ratio of 0.5 or more.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, delete, insert, make_url, text

from simexit import migrate
from simexit.db import Database, make_engine
from simexit.jobs import job, run_pending
from simexit.models import Job

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@job("bench.noop")
def noop(session: Any, *, now: datetime) -> None:  # noqa: ARG001 - the handler signature
    return None


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    server = make_url(server_url)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    name = f"simexit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def queue_jobs(db: Database, count: int) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "name": "bench.noop",
            "payload": {},
            "status": "queued",
            "run_at": NOW,
            "attempts": 0,
            "max_attempts": 8,
            "created_at": NOW,
        }
        for _ in range(count)
    ]
    with db.session() as session:
        session.execute(delete(Job))
        for start in range(0, count, 5000):
            session.execute(insert(Job), rows[start : start + 5000])


def drain_with_runner(db: Database, batch: int) -> int:
    return run_pending(db, now=NOW, worker_id="bench-runner", batch_size=batch)


def drain_raw(db: Database, batch: int) -> int:
    """The same claims and updates in plain SQL: the floor any runner pays on this database."""
    postgres = db.engine.dialect.name == "postgresql"
    lock = " FOR UPDATE SKIP LOCKED" if postgres else ""
    # Typed binds so timestamps and ids are stored exactly as the ORM stores them.
    when = Job.__table__.c.run_at.type
    ident = Job.__table__.c.id.type
    select_due = (
        text(
            f"SELECT id FROM jobs WHERE status = 'queued' AND run_at <= :now ORDER BY run_at LIMIT :n{lock}"  # noqa: S608 - `lock` is a constant
        )
        .bindparams(bindparam("now", type_=when))
        .columns(id=ident)
    )
    claim = text(
        "UPDATE jobs SET status = 'running', locked_by = 'raw', locked_at = :now, "
        "lease_expires_at = :lease, attempts = attempts + 1 WHERE id IN :ids"
    ).bindparams(
        bindparam("now", type_=when),
        bindparam("lease", type_=when),
        bindparam("ids", expanding=True, type_=ident),
    )
    finish = text(
        "UPDATE jobs SET status = 'done', finished_at = :now WHERE id = :id AND locked_by = 'raw'"
    ).bindparams(bindparam("now", type_=when), bindparam("id", type_=ident))
    lease = NOW + timedelta(minutes=5)
    done = 0
    with db.engine.connect() as connection:
        while True:
            with connection.begin():
                ids = list(connection.execute(select_due, {"now": NOW, "n": batch}).scalars())
                if not ids:
                    return done
                connection.execute(claim, {"now": NOW, "lease": lease, "ids": ids})
            for job_id in ids:
                with connection.begin():
                    connection.execute(finish, {"now": NOW, "id": job_id})
                done += 1


def measure(url: str, label: str, count: int, batch: int) -> None:
    db = Database(url)
    try:
        queue_jobs(db, count)
        started = time.perf_counter()
        ran = drain_with_runner(db, batch)
        runner_rate = ran / (time.perf_counter() - started)
        if ran != count:
            raise SystemExit(f"runner ran {ran} of {count}")

        queue_jobs(db, count)
        started = time.perf_counter()
        ran = drain_raw(db, batch)
        raw_rate = ran / (time.perf_counter() - started)
        if ran != count:
            raise SystemExit(f"raw ran {ran} of {count}")
    finally:
        db.dispose()
    print(
        f"{label:<11} jobs={count} batch={batch}  runner {runner_rate:8.0f} jobs/s   raw {raw_rate:8.0f} jobs/s   runner/raw {runner_rate / raw_rate:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--pg", default=os.environ.get("SIMEXIT_TEST_DATABASE_URL"))
    args = parser.parse_args()
    import logging

    logging.disable(logging.CRITICAL)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    with sqlite_database() as url:
        measure(url, "sqlite", args.jobs, args.batch)
    if args.pg:
        with postgres_database(args.pg) as url:
            measure(url, "postgresql", args.jobs, args.batch)
    else:
        print("postgresql  skipped (pass --pg URL or set SIMEXIT_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
