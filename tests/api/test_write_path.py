"""Where a write request runs: on the event loop, awaiting its turn there when another thread of
the process writes; in the thread pool (waiting there, not on the loop) when another connection
holds SQLite's lock."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select, text

from simexit import transactions
from simexit.db import Database, WriterBusy
from simexit.models import Case
from simexit.runtime import Runtime
from tests.api.conftest import Demo
from tests.api.test_cases_api import clean_line


def _sqlite_path(db: Database) -> str:
    if not db.is_sqlite:
        pytest.skip("SQLite's single writer lock only; PostgreSQL writes always use the pool")
    return db.url.removeprefix("sqlite:///")


def _open_while_busy(
    app: FastAPI, demo: Demo, line_id: str, release: Callable[[], None]
) -> tuple[int, int, bool]:
    """Open a case while another writer holds the database, ask for /healthz meanwhile, then
    `release`: the health status, the open's status, and whether the open was still waiting."""

    async def scenario() -> tuple[int, int, bool]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://simexit") as client:
            opening = asyncio.create_task(
                client.post(
                    "/v1/cases",
                    json={"line_id": line_id, "type": "terminate"},
                    headers=demo.telenor,
                )
            )
            await asyncio.sleep(0.3)
            # The loop is free: other requests are answered while the write waits for the lock.
            health = await client.get("/healthz")
            waiting = not opening.done()
            release()
            opened = await asyncio.wait_for(opening, timeout=20)
            return health.status_code, opened.status_code, waiting

    outcome: list[tuple[int, int, bool]] = []
    # A loop of its own in a thread of its own: another test in this process (Playwright's sync
    # API) may have left the main thread's event loop marked as running.
    runner = threading.Thread(target=lambda: outcome.append(asyncio.run(scenario())))
    runner.start()
    runner.join(60)
    return outcome[0]


def test_a_write_waits_off_the_loop_while_another_connection_writes(
    app: FastAPI, runtime: Runtime, demo: Demo
) -> None:
    path = _sqlite_path(runtime.db)
    line = clean_line(runtime)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process, say a `simexit worker`, is writing
    try:
        outcome = _open_while_busy(
            app,
            demo,
            str(line.id),
            lambda: threading.Timer(0.1, other.execute, args=("COMMIT",)).start(),
        )
    finally:
        other.close()
    assert outcome == (200, 201, True)
    with runtime.db.read_session() as session:
        count = session.scalar(
            select(func.count()).select_from(Case).where(Case.line_id == line.id)
        )
    assert count == 1


def test_a_write_awaits_its_turn_on_the_loop_while_another_thread_writes(
    app: FastAPI, runtime: Runtime, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker thread of `simexit serve` holds the process's writer lock: the request waits
    for its release without blocking the loop and without a thread, then writes on the loop."""
    _sqlite_path(runtime.db)
    line = clean_line(runtime)
    pooled: list[Callable[..., Any]] = []

    async def recording_pool(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        pooled.append(function)
        return await run_in_threadpool(function, *args, **kwargs)

    monkeypatch.setattr(transactions, "run_in_threadpool", recording_pool)
    held, release = threading.Event(), threading.Event()

    def worker_job() -> None:
        with runtime.db.writing():
            held.set()
            release.wait(20)

    holder = threading.Thread(target=worker_job)
    holder.start()
    assert held.wait(10)
    try:
        outcome = _open_while_busy(app, demo, str(line.id), release.set)
    finally:
        release.set()
        holder.join(10)
    assert outcome == (200, 201, True)
    assert pooled == []  # no thread was parked on the lock


def test_awaiting_the_writer_lock_sees_a_release_that_came_first(db: Database) -> None:
    """A release between a failed try and the wait is not missed: the wait returns."""
    _sqlite_path(db)

    async def wait_once() -> None:
        await asyncio.wait_for(db.writer_released(), timeout=10)

    with db.writing():
        pass  # taken and released before anyone waits
    asyncio.run(wait_once())


def test_a_waiter_whose_loop_has_ended_does_not_break_the_next_release(db: Database) -> None:
    _sqlite_path(db)
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with db.writing():
            held.set()
            release.wait(10)

    async def give_up_waiting() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(db.writer_released(), timeout=0.05)

    first = threading.Thread(target=holder)
    first.start()
    assert held.wait(10)
    asyncio.run(give_up_waiting())  # its loop is closed now, its registration still there
    release.set()
    first.join(10)
    with db.session() as session:  # the holder's release went through; the lock is free
        session.execute(text("SELECT 1"))


def test_a_session_that_may_not_wait_refuses_at_once_and_leaves_nothing(db: Database) -> None:
    path = _sqlite_path(db)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        for _ in range(3):  # the pooled connection stays usable after each refusal
            with pytest.raises(WriterBusy) as busy, db.session(wait=False) as session:
                session.execute(text("UPDATE operators SET name = name"))
            assert not busy.value.in_process  # another connection: wait in a thread
    finally:
        other.execute("COMMIT")
        other.close()
    with db.session(wait=False) as session:
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    # The in-process writer lock was released every time: a waiting writer gets it.
    with db.session() as session:
        session.execute(text("SELECT 1"))


def test_writers_of_this_process_queue_on_one_lock_not_on_sqlite(db: Database) -> None:
    """The worker thread of `simexit serve`, the portal and API requests share the lock: a
    writer that may not wait is refused before SQLite is asked, and a waiting one goes as soon
    as the holder is done."""
    _sqlite_path(db)
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:
        with db.writing():
            held.set()
            release.wait(10)

    def waiter() -> None:
        with db.session() as session:
            session.execute(text("UPDATE operators SET name = name"))
        done.set()

    first = threading.Thread(target=holder)
    first.start()
    assert held.wait(10)
    with pytest.raises(WriterBusy) as busy, db.session(wait=False):
        pass
    assert busy.value.in_process
    second = threading.Thread(target=waiter)
    second.start()
    assert not done.wait(0.3)  # queued behind the holder, not failed
    release.set()
    assert done.wait(10)
    first.join(10)
    second.join(10)
