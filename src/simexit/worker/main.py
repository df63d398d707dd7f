"""The worker loop. Many may run at once against PostgreSQL; on SQLite they take turns.

Before each batch of jobs, and whenever it is idle, the loop seals the audit events committed
since (`audit.sealing`): the link of an event into its operator's chain is written within about
`poll_seconds` of its commit, by whichever worker gets to the operator's head first.

Stopping is graceful: SIGTERM or SIGINT sets `stop`; the job that is running finishes and commits,
claimed jobs not yet started are handed back to the queue, and the loop returns.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from types import FrameType

import structlog

from simexit.audit.sealing import seal_all
from simexit.clock import utc_now
from simexit.db import Database
from simexit.jobs.runner import DEFAULT_LEASE_SECONDS, drain, ensure_periodic_jobs

log = structlog.get_logger()


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    db: Database,
    *,
    stop: threading.Event,
    poll_seconds: float,
    batch_size: int,
    worker_id: str,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
) -> int:
    """Run jobs until `stop` is set; sleep `poll_seconds` when nothing is due. Return jobs run."""
    with db.session() as session:
        periodic = ensure_periodic_jobs(session, now=utc_now())
    log.info(
        "worker.started",
        worker_id=worker_id,
        batch_size=batch_size,
        periodic=[job.name for job in periodic],
    )
    total = 0
    while not stop.is_set():
        try:
            ran = drain(
                db,
                clock=utc_now,
                worker_id=worker_id,
                batch_size=batch_size,
                lease_seconds=lease_seconds,
                stop=stop,
                before_each_batch=lambda: _seal(db, worker_id),
            )
        except Exception as error:  # the database went away: keep the process, try again
            log.error("worker.batch_failed", worker_id=worker_id, error=type(error).__name__)
            ran = 0
        total += ran
        if ran == 0:
            stop.wait(poll_seconds)
    log.info("worker.stopped", worker_id=worker_id, jobs_run=total)
    return total


def _seal(db: Database, worker_id: str) -> None:
    """Seal what committed since the last batch. A sealing failure is logged and tried again
    before the next batch; it never keeps the jobs from running (`audit verify` counts events
    still waiting, so a sealer that keeps failing shows)."""
    try:
        seal_all(db)
    except Exception as error:
        log.error("worker.seal_failed", worker_id=worker_id, error=type(error).__name__)


def stop_on_signals(stop: threading.Event) -> None:
    """Turn SIGTERM and SIGINT into a graceful stop (main thread only)."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("worker.stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
