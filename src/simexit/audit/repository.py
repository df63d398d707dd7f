"""Every statement of the audit trail: the operator's chain head (locked, created, advanced), the
events appended to it, and the reads that verify it or show a timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session, SessionTransaction

from simexit.appending import append_values
from simexit.audit.chain import GENESIS
from simexit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from simexit.prepared import Prepared

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
class ChainHead:
    """The operator's chain head as this transaction holds it (locked) and has advanced it."""

    seq: int
    hash: str


def locked_head(session: Session, operator_id: uuid.UUID) -> ChainHead:
    """The operator's chain head, locked for the current transaction.

    Read and written with Core statements on the session's connection: it is one small row, and
    the unit of work's bookkeeping for it cost more than the statements. Every event advances
    the stored head at once, so the database is always right and the copy cached in
    `session.info` is only a saved look-up; it is dropped whenever a transaction or savepoint
    ends (`_forget_heads`), since a savepoint's rollback takes back its events, its advances
    and, on PostgreSQL, the row lock."""
    heads: dict[uuid.UUID, ChainHead] = session.info.setdefault(_LOCKED_HEADS, {})
    head = heads.get(operator_id)
    if head is None:
        row = _HEAD_FOR_UPDATE.one_or_none(session, {"operator_id": operator_id})
        if row is None:
            # The first event of an operator. A concurrent first event fails on the primary key
            # and its transaction rolls back rather than forking the chain.
            _INSERT_HEAD.run(session, {"operator_id": operator_id, "seq": 0, "hash": GENESIS})
            head = ChainHead(0, GENESIS)
        else:
            head = ChainHead(*row)
        heads[operator_id] = head
    return head


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _forget_heads(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_LOCKED_HEADS, None)


def insert_event(session: Session, values: dict[str, Any]) -> None:
    append_values(session, AuditEvent, values)


def advance_head(
    session: Session, operator_id: uuid.UUID, head: ChainHead, *, seq: int, digest: str
) -> None:
    _ADVANCE_HEAD.run(session, {"head_operator_id": operator_id, "seq": seq, "hash": digest})
    head.seq, head.hash = seq, digest


def chain_from(
    session: Session, operator_id: uuid.UUID, *, seq: int, limit: int
) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.operator_id == operator_id, AuditEvent.seq >= seq)
            .order_by(AuditEvent.seq)
            .limit(limit)
        ).all()
    )


def stored_head(session: Session, operator_id: uuid.UUID) -> AuditChainHead | None:
    return session.get(AuditChainHead, operator_id)


def events_of_subject(
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


def all_heads(session: Session) -> list[tuple[uuid.UUID, int, str]]:
    rows = session.execute(
        select(AuditChainHead.operator_id, AuditChainHead.seq, AuditChainHead.hash).order_by(
            AuditChainHead.operator_id
        )
    )
    return [(row.operator_id, row.seq, row.hash) for row in rows]


def last_checkpoint_seqs(session: Session) -> dict[uuid.UUID, int]:
    rows = session.execute(
        select(AuditCheckpoint.operator_id, func.max(AuditCheckpoint.seq)).group_by(
            AuditCheckpoint.operator_id
        )
    )
    return {row[0]: row[1] for row in rows}


def stored_checkpoints(session: Session, operator_id: uuid.UUID) -> list[AuditCheckpoint]:
    return list(
        session.scalars(
            select(AuditCheckpoint)
            .where(AuditCheckpoint.operator_id == operator_id)
            .order_by(AuditCheckpoint.seq)
        )
    )


def has_checkpoint(session: Session, operator_id: uuid.UUID, seq: int) -> bool:
    found = session.execute(
        select(AuditCheckpoint.id).where(
            AuditCheckpoint.operator_id == operator_id, AuditCheckpoint.seq == seq
        )
    ).first()
    return found is not None


def add_checkpoint(session: Session, checkpoint: AuditCheckpoint) -> None:
    session.add(checkpoint)
