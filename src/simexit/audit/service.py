"""Recording and verifying audit events.

Appending locks the operator's chain head (`FOR UPDATE` on PostgreSQL; SQLite writers are already
serialized), so two concurrent transactions can never fork the chain: the second waits and links
to the first. The lock lasts until the transaction ends, so later events of the same transaction
reuse the head they locked instead of selecting it again. Each event is inserted at once with one
statement (`audit.repository`), and the head is advanced with another, so both are in the database
as soon as `record` returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from simexit.audit import repository
from simexit.audit.chain import GENESIS, event_hash
from simexit.jobs import admin as jobs_admin
from simexit.models import AuditEvent, Job
from simexit.principals import Actor


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    session: Session,
    *,
    operator_id: uuid.UUID,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    at: datetime,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
    request_id: str | None = None,
) -> str:
    """Append an event to the operator's chain; returns its hash."""
    head = repository.locked_head(session, operator_id)
    if request_id is None:
        # The edges bind the request id to the log context; the audit row carries the same id.
        request_id = structlog.contextvars.get_contextvars().get("request_id")
    # Microsecond precision survives both back ends, so the stored time re-hashes identically.
    at = at.astimezone(UTC)
    safe_changes = _json_safe(changes or {})
    seq = head.seq + 1
    digest = event_hash(
        prev_hash=head.hash,
        seq=seq,
        operator_id=str(operator_id),
        at=at,
        actor_type=actor.type.value,
        actor_id=actor.id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        changes=safe_changes,
        note=note,
    )
    repository.insert_event(
        session,
        {
            "operator_id": operator_id,
            "seq": seq,
            "at": at,
            "actor_type": actor.type.value,
            "actor_id": actor.id,
            "action": action,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
            "changes": safe_changes,
            "note": note,
            "request_id": request_id,
            "prev_hash": head.hash,
            "hash": digest,
        },
    )
    repository.advance_head(session, operator_id, head, seq=seq, digest=digest)
    return digest


@dataclass(frozen=True, slots=True)
class ChainReport:
    operator_id: uuid.UUID
    events: int
    first_broken_seq: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def verify_operator(
    session: Session,
    operator_id: uuid.UUID,
    *,
    checkpoints: Mapping[int, str] | None = None,
    batch: int = 5000,
) -> ChainReport:
    """Walk one operator's chain in order; report the first event that does not link or re-hash.

    `checkpoints` (event seq -> the head hash a trusted, signed checkpoint names) catches what
    re-hashing cannot: a chain rewritten from some event on and re-hashed with this module's own
    function. Such a chain is only known good up to the last checkpoint it still matches, so the
    report names the first event after that one."""
    signed = dict(checkpoints or {})
    expected_prev, expected_seq, count, last_good = GENESIS, 1, 0, 0

    def against_checkpoints(problem: str) -> ChainReport:
        since = (
            f"the last good checkpoint is at event {last_good}"
            if last_good
            else "no earlier checkpoint"
        )
        return ChainReport(operator_id, count, last_good + 1, f"{problem} ({since})")

    while True:
        events = repository.chain_from(session, operator_id, seq=expected_seq, limit=batch)
        if not events:
            break
        for event in events:
            count += 1
            if event.seq != expected_seq:
                return ChainReport(
                    operator_id, count, expected_seq, f"event {expected_seq} is missing"
                )
            if event.prev_hash != expected_prev:
                return ChainReport(
                    operator_id, count, event.seq, "does not link to the previous event"
                )
            recomputed = event_hash(
                prev_hash=event.prev_hash,
                seq=event.seq,
                operator_id=str(event.operator_id),
                at=event.at,
                actor_type=event.actor_type,
                actor_id=event.actor_id,
                action=event.action,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                changes=event.changes,
                note=event.note,
            )
            if recomputed != event.hash:
                return ChainReport(
                    operator_id, count, event.seq, "its content was changed after it was written"
                )
            if event.seq in signed:
                if signed[event.seq] != event.hash:
                    return against_checkpoints(
                        f"event {event.seq} differs from its signed checkpoint: the chain was "
                        "rewritten and re-hashed"
                    )
                last_good = event.seq
            expected_prev, expected_seq = event.hash, event.seq + 1
        session.expunge_all()
    last_seq = expected_seq - 1
    beyond = [seq for seq in signed if seq > last_seq]
    if beyond:
        return against_checkpoints(
            f"the chain ends at event {last_seq} but a signed checkpoint names event "
            f"{max(beyond)}: events were deleted"
        )
    head = repository.stored_head(session, operator_id)
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        return ChainReport(operator_id, count, expected_seq, "events after this point were deleted")
    return ChainReport(operator_id, count, None, None)


def events_for(
    session: Session, *, subject_type: str, subject_id: uuid.UUID | str
) -> list[AuditEvent]:
    """A subject's events, oldest first (case and line timelines)."""
    return repository.events_of_subject(session, subject_type=subject_type, subject_id=subject_id)


def retry_job_audited(
    session: Session,
    *,
    job_id: uuid.UUID,
    now: datetime,
    actor: Actor,
    scope: uuid.UUID | None = None,
) -> Job:
    """Retry a dead job (`jobs.admin.retry_job`, within `scope`) and, for an operator's job,
    leave a `job.retried` row in that operator's trail naming who did it. It lives here because
    the audit trail depends on the job queue (its checkpoint export is a job), not the reverse."""
    job = jobs_admin.retry_job(session, job_id=job_id, now=now, scope=scope)
    if job.operator_id is not None:
        record(
            session,
            operator_id=job.operator_id,
            actor=actor,
            action="job.retried",
            subject_type="job",
            subject_id=job.id,
            at=now,
            changes={"status": ["dead", "queued"], "name": job.name},
        )
    return job
