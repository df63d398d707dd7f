from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import EnumText, JsonType, UtcDateTime, new_id


class JobStatus(StrEnum):
    queued = "queued"  # waiting for its run_at, or for a worker
    running = "running"  # claimed under a lease
    done = "done"
    dead = "dead"  # used all its attempts; kept for an operator to read and retry


class Job(Base):
    """A durable unit of work, written in the transaction of the change that caused it."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "ix_jobs_runnable",
            "run_at",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        # Due work in priority order (`jobs.queue.PRIORITY`): a campaign's chunks after the rest.
        Index(
            "ix_jobs_runnable_priority",
            "priority",
            "run_at",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index("ix_jobs_status", "status"),
        # The purge walks done jobs oldest first; without this it sorts every done row each run.
        Index(
            "ix_jobs_done_finished",
            "finished_at",
            sqlite_where=text("status = 'done'"),
            postgresql_where=text("status = 'done'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Whose work this is; None for the platform's own scans, which no operator's staff sees.
    operator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("operators.id"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus, 20), default=JobStatus.queued)
    run_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Lower runs first among due jobs: 0 for the interactive and subscriber-facing work, more for
    # bulk work that may wait (a campaign's chunks).
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    locked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
