"""Recording and verifying audit events.

Appending locks the operator's chain head (`FOR UPDATE` on PostgreSQL; SQLite writers are already
serialized), so two concurrent transactions can never fork the chain: the second waits and links
to the first. The lock lasts until the transaction ends, so later events of the same transaction
reuse the head they locked instead of selecting it again. Each event is inserted at once with one
statement (`db.append_values`), and the head is advanced with another, so both are in the database
as soon as `record` returns.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session, SessionTransaction

from simexit.audit.chain import GENESIS, event_hash
from simexit.db import append_values
from simexit.models import AuditChainHead, AuditEvent
from simexit.prepared import Prepared
from simexit.principals import Actor


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


_LOCKED_HEADS = "simexit.audit.locked_heads"
_HEAD_FOR_UPDATE = Prepared(
    select(AuditChainHead.seq, AuditChainHead.hash)
    .where(AuditChainHead.operator_id == bindparam("operator_id"))
    .with_for_update()
)
_INSERT_HEAD = Prepared(insert(AuditChainHead))
_ADVANCE_HEAD = Prepared(
    update(AuditChainHead)
    .where(AuditChainHead.operator_id == bindparam("head_operator_id"))
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)


@dataclass(slots=True)
class _Head:
    """The operator's chain head as this transaction holds it (locked) and has advanced it."""

    seq: int
    hash: str


def _locked_head(session: Session, operator_id: uuid.UUID) -> _Head:
    """The operator's chain head, locked for the current transaction.

    Read and written with Core statements on the session's connection: it is one small row, and
    the unit of work's bookkeeping for it cost more than the statements. Every event advances
    the stored head at once, so the database is always right and the copy cached in
    `session.info` is only a saved look-up; it is dropped whenever a transaction or savepoint
    ends (`_forget_heads`), since a savepoint's rollback takes back its events, its advances
    and, on PostgreSQL, the row lock."""
    heads: dict[uuid.UUID, _Head] = session.info.setdefault(_LOCKED_HEADS, {})
    head = heads.get(operator_id)
    if head is None:
        row = _HEAD_FOR_UPDATE.one_or_none(session, {"operator_id": operator_id})
        if row is None:
            # The first event of an operator. A concurrent first event fails on the primary key
            # and its transaction rolls back rather than forking the chain.
            _INSERT_HEAD.run(session, {"operator_id": operator_id, "seq": 0, "hash": GENESIS})
            head = _Head(0, GENESIS)
        else:
            head = _Head(*row)
        heads[operator_id] = head
    return head


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _forget_heads(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_LOCKED_HEADS, None)


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
    head = _locked_head(session, operator_id)
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
    append_values(
        session,
        AuditEvent,
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
    _ADVANCE_HEAD.run(session, {"head_operator_id": operator_id, "seq": seq, "hash": digest})
    head.seq, head.hash = seq, digest
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


def verify_operator(session: Session, operator_id: uuid.UUID, *, batch: int = 5000) -> ChainReport:
    """Walk one operator's chain in order; report the first event that does not link or re-hash."""
    expected_prev, expected_seq, count, last_id = GENESIS, 1, 0, 0
    while True:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.operator_id == operator_id, AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
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
            expected_prev, expected_seq, last_id = event.hash, event.seq + 1, event.id
        session.expunge_all()
    del last_id
    head = session.get(AuditChainHead, operator_id)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != expected_prev):
        return ChainReport(operator_id, count, expected_seq, "events after this point were deleted")
    return ChainReport(operator_id, count, None, None)


def events_for(
    session: Session, *, subject_type: str, subject_id: uuid.UUID | str
) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id)
            )
            .order_by(AuditEvent.id)
        )
    )
