"""Recording and verifying audit events.

`record` inserts the event, with the hash of its own content, in the transaction of the change it
records, and takes no lock: an operator's concurrent writes never wait on each other for the
audit trail. The event's place in its operator's chain is given after commit by the sealer
(`audit.sealing`), within a second or so; `verify_operator` walks the sealed chain and counts the
events still waiting for their link.
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
from simexit.audit.chain import GENESIS, EventContent, content_hash, event_hash
from simexit.jobs import admin as jobs_admin
from simexit.models import AuditEvent, AuditSeal, Job
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
    """Append an event to the operator's trail; returns the hash of its content."""
    if request_id is None:
        # The edges bind the request id to the log context; the audit row carries the same id.
        request_id = structlog.contextvars.get_contextvars().get("request_id")
    content = EventContent(
        operator_id=str(operator_id),
        # Microsecond precision survives both back ends, so the stored time re-hashes identically.
        at=at.astimezone(UTC),
        actor_type=actor.type.value,
        actor_id=actor.id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        changes=_json_safe(changes or {}),
        note=note,
    )
    digest = content_hash(content)
    repository.insert_event(
        session,
        {
            "operator_id": operator_id,
            "at": content.at,
            "actor_type": content.actor_type,
            "actor_id": content.actor_id,
            "action": action,
            "subject_type": subject_type,
            "subject_id": content.subject_id,
            "changes": content.changes,
            "note": note,
            "request_id": request_id,
            "content_hash": digest,
        },
    )
    return digest


@dataclass(frozen=True, slots=True)
class Entry:
    """One event of `record_many`: what `record` takes per call, less the shared actor and time."""

    subject_type: str
    subject_id: uuid.UUID | str
    action: str
    changes: dict[str, Any]
    note: str | None = None


def record_many(
    session: Session,
    *,
    operator_id: uuid.UUID,
    actor: Actor,
    at: datetime,
    entries: list[Entry],
) -> None:
    """`record` for many events of one actor at one time (a campaign's chunk): one executemany.
    Each event is hashed and queued for the sealer exactly as one `record` makes it."""
    if not entries:
        return
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    rows = []
    for entry in entries:
        content = EventContent(
            operator_id=str(operator_id),
            at=at.astimezone(UTC),
            actor_type=actor.type.value,
            actor_id=actor.id,
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=str(entry.subject_id),
            changes=_json_safe(entry.changes),
            note=entry.note,
        )
        rows.append(
            {
                "operator_id": operator_id,
                "at": content.at,
                "actor_type": content.actor_type,
                "actor_id": content.actor_id,
                "action": entry.action,
                "subject_type": entry.subject_type,
                "subject_id": content.subject_id,
                "changes": content.changes,
                "note": entry.note,
                "request_id": request_id,
                "content_hash": content_hash(content),
            }
        )
    repository.insert_events(session, rows)


def content_of(event: AuditEvent) -> EventContent:
    return EventContent(
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


@dataclass(frozen=True, slots=True)
class ChainReport:
    operator_id: uuid.UUID
    events: int
    first_broken_seq: int | None
    problem: str | None
    # Committed events still waiting for the sealer: normal for a second or so after a write.
    unsealed: int = 0

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


def _link_problem(
    seal: AuditSeal, event: AuditEvent | None, *, expected_seq: int, expected_prev: str
) -> tuple[int, str] | None:
    """What is wrong with one link of the chain, if anything: (the seq to name, the problem)."""
    if seal.seq != expected_seq:
        return expected_seq, f"event {expected_seq} is missing"
    if seal.prev_hash != expected_prev:
        return seal.seq, "does not link to the previous event"
    if event is None:
        return seal.seq, "its event is gone"
    content = content_of(event)
    if event.content_hash is not None and content_hash(content) != event.content_hash:
        return seal.seq, "its content was changed after it was written"
    if event_hash(prev_hash=seal.prev_hash, seq=seal.seq, content=content) != seal.hash:
        return seal.seq, "its content was changed after it was written"
    return None


def verify_operator(
    session: Session,
    operator_id: uuid.UUID,
    *,
    checkpoints: Mapping[int, str] | None = None,
    batch: int = 5000,
) -> ChainReport:
    """Walk one operator's sealed chain in order; report the first event that does not link or
    re-hash, and how many events still wait for their seal.

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

    while links := repository.chain_from(session, operator_id, seq=expected_seq, limit=batch):
        for seal, event in links:
            count += 1
            found = _link_problem(
                seal, event, expected_seq=expected_seq, expected_prev=expected_prev
            )
            if found is not None:
                return ChainReport(operator_id, count, *found)
            if seal.seq in signed:
                if signed[seal.seq] != seal.hash:
                    return against_checkpoints(
                        f"event {seal.seq} differs from its signed checkpoint: the chain was "
                        "rewritten and re-hashed"
                    )
                last_good = seal.seq
            expected_prev, expected_seq = seal.hash, seal.seq + 1
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
    counts = repository.trail_counts(session, operator_id)
    lost = counts.events - counts.sealed - counts.queued
    if lost:
        return ChainReport(
            operator_id,
            count,
            expected_seq,
            f"{lost} events have no link and are not queued for sealing",
            counts.queued,
        )
    return ChainReport(operator_id, count, None, None, counts.queued)


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
