"""The job behind `POST /v1/imports`: one batch per run, then the next run is queued.

Each run is one transaction: its batch's rows, its rejections, the import's totals and position
in the file, and the next job commit together, so a worker that dies mid-file resumes at the
last whole batch, and other jobs get their turn between batches.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.imports import service
from simexit.jobs import enqueue
from simexit.jobs.registry import job
from simexit.models import DataImport
from simexit.policies.loader import PackRegistry
from simexit.principals import SYSTEM

_context: tuple[PackRegistry, bytes] | None = None


def install(packs: PackRegistry, secret: bytes) -> None:
    global _context
    _context = (packs, secret)


def _installed() -> tuple[PackRegistry, bytes]:
    if _context is None:
        raise RuntimeError("import tasks need simexit.imports.tasks.install(...) at worker start")
    return _context


@job(service.RUN_JOB, max_attempts=5)
def run(session: Session, *, now: datetime, import_id: str) -> None:
    data_import = session.get(DataImport, uuid.UUID(import_id), with_for_update=True)
    if data_import is None or data_import.status in {"done", "failed"}:
        return
    packs, secret = _installed()
    more = service.run_batch(
        session, data_import, actor=SYSTEM, packs=packs, secret=secret, now=now
    )
    if more:
        enqueue(
            session,
            service.RUN_JOB,
            now=now,
            operator_id=data_import.operator_id,
            import_id=import_id,
        )
