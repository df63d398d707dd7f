"""Among due jobs the lower priority number runs first: a campaign's chunks wait behind a
subscriber's message or a case step queued after them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from simexit.db import Database
from simexit.jobs import enqueue, job, run_pending
from simexit.jobs.queue import PRIORITY_BULK

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
RAN: list[str] = []


@job("test.priority_record")
def record(session: Session, *, now: datetime, label: str, **_: Any) -> None:
    RAN.append(label)


def test_bulk_jobs_run_after_the_rest(db: Database) -> None:
    RAN.clear()
    with db.session() as session:
        for n in range(3):
            enqueue(
                session,
                "test.priority_record",
                now=NOW,
                run_at=NOW - timedelta(minutes=10 - n),  # due long before the others
                priority=PRIORITY_BULK,
                label=f"bulk-{n}",
            )
        for n in range(2):
            enqueue(
                session,
                "test.priority_record",
                now=NOW,
                run_at=NOW - timedelta(seconds=2 - n),
                label=f"interactive-{n}",
            )
    run_pending(db, now=NOW, worker_id="test", batch_size=1)
    assert RAN == ["interactive-0", "interactive-1", "bulk-0", "bulk-1", "bulk-2"]
