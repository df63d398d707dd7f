"""The scheduled export of signed checkpoints of every operator's chain head.

Every `CHECKPOINT_EVERY` a scan queues one `audit.checkpoint_export`, an exchange (see
`jobs.registry.Exchange`): heads are signed in a read-only transaction, written to the sinks
(a directory of JSON-lines files, a webhook) with no transaction open, and recorded in
`audit_checkpoints` with the job's done mark. An event is therefore covered by a signed
checkpoint outside the database at most one interval (plus the worker's delay) after it was
written; that is the window docs/adr/0003-hash-chained-audit.md describes.

The worker installs the signing key and the sinks once at start with `install`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from simexit.audit import checkpoints
from simexit.audit.checkpoints import ExportResult
from simexit.audit.ports import CheckpointSink
from simexit.audit.signing import SignedCheckpoint
from simexit.jobs import AttemptFailed, enqueue
from simexit.jobs.registry import Exchange, exchange_job, exponential, periodic

log = structlog.get_logger()

CHECKPOINT_EVERY = timedelta(minutes=5)
EXPORT_JOB = "audit.checkpoint_export"


@dataclass(frozen=True, slots=True)
class CheckpointContext:
    private_key: Ed25519PrivateKey
    sinks: tuple[CheckpointSink, ...]


_installed: CheckpointContext | None = None


def install(private_key: Ed25519PrivateKey, sinks: tuple[CheckpointSink, ...]) -> None:
    global _installed
    _installed = CheckpointContext(private_key, sinks)


def context() -> CheckpointContext:
    if _installed is None:
        raise RuntimeError("audit tasks need simexit.audit.tasks.install(...) at worker start")
    return _installed


@periodic("audit.checkpoint", every=CHECKPOINT_EVERY)
def schedule_export(session: Session, *, now: datetime) -> None:
    enqueue(session, EXPORT_JOB, now=now, dedup_key=f"{EXPORT_JOB}:{now:%Y%m%dT%H%M%S}")


def _plan(session: Session, *, now: datetime) -> list[SignedCheckpoint] | None:
    return checkpoints.plan(session, context().private_key, now=now) or None


def _send(plan: list[SignedCheckpoint]) -> ExportResult:
    return checkpoints.export(plan, context().sinks)


def _record(
    session: Session,
    *,
    now: datetime,
    plan: list[SignedCheckpoint] | None,
    result: ExportResult | None,
) -> None:
    if result is None:
        return
    checkpoints.record(session, result.exported)
    if result.failures:
        # The exported ones stay recorded; the rest are signed afresh on the retry.
        raise AttemptFailed("checkpoint export refused: " + "; ".join(result.failures))


exchange_job(
    EXPORT_JOB,
    Exchange(plan=_plan, send=_send, record=_record),
    max_attempts=5,
    backoff=exponential(base_seconds=30, cap_seconds=600),
)
