"""Every statement of the audit trail: events appended by requests, the sealer's queue, links
and the chain head it moves, and the reads that verify the chain or show a timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from simexit.appending import append_values
from simexit.audit.chain import GENESIS
from simexit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditSeal, AuditUnsealed
from simexit.prepared import Prepared

# Another sealer holding an operator's head is sealing that operator: skip it, never wait.
_HEAD_FOR_SEALING = Prepared(
    select(AuditChainHead.seq, AuditChainHead.hash)
    .where(AuditChainHead.operator_id == bindparam("operator_id"))
    .with_for_update(skip_locked=True)
)
_HEAD_EXISTS = Prepared(
    select(AuditChainHead.seq).where(AuditChainHead.operator_id == bindparam("operator_id"))
)
_START_HEAD = {
    dialect: Prepared(
        insert_into(AuditChainHead)
        .values(operator_id=bindparam("operator_id"), seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["operator_id"])
    )
    for dialect, insert_into in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}
_ADVANCE_HEAD = Prepared(
    update(AuditChainHead)
    .where(AuditChainHead.operator_id == bindparam("head_operator_id"))
    .values(seq=bindparam("seq"), hash=bindparam("hash"))
)
_INSERT_SEALS = Prepared(insert(AuditSeal))
_DROP_FROM_QUEUE = delete(AuditUnsealed).where(
    AuditUnsealed.event_id.in_(bindparam("event_ids", expanding=True))
)


@dataclass(slots=True)
class ChainHead:
    """An operator's chain head as the sealer holds it (locked) and moves it."""

    seq: int
    hash: str


def insert_event(session: Session, values: dict[str, Any]) -> None:
    """One INSERT; the database's trigger queues the event for the sealer in the same statement."""
    append_values(session, AuditEvent, values)


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """`insert_event` for many rows (the same keys): one executemany."""
    append_values(session, AuditEvent, rows)


def operators_with_unsealed(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(AuditUnsealed.operator_id).distinct()))


def head_for_sealing(session: Session, operator_id: uuid.UUID) -> ChainHead | None:
    """The operator's head, locked for this transaction; None while another sealer holds it."""
    key = {"operator_id": operator_id}
    row = _HEAD_FOR_SEALING.one_or_none(session, key)
    if row is None:
        if _HEAD_EXISTS.one_or_none(session, key) is not None:
            return None  # another sealer holds it
        # The operator's first seal; a sealer starting it at the same instant does nothing.
        _START_HEAD[session.get_bind().dialect.name].run(session, key)
        row = _HEAD_FOR_SEALING.one_or_none(session, key)
    return None if row is None else ChainHead(*row)


def queued_events(session: Session, operator_id: uuid.UUID, *, limit: int) -> list[AuditEvent]:
    """The operator's committed, unsealed events, in the order they were written."""
    return list(
        session.scalars(
            select(AuditEvent)
            .join(AuditUnsealed, AuditUnsealed.event_id == AuditEvent.id)
            .where(AuditUnsealed.operator_id == operator_id)
            .order_by(AuditUnsealed.event_id)
            .limit(limit)
        )
    )


def write_seals(
    session: Session, operator_id: uuid.UUID, head: ChainHead, seals: list[dict[str, Any]]
) -> None:
    """Insert the links, take their events off the queue and move the head onto the last."""
    _INSERT_SEALS.run_many(session, seals)
    session.execute(_DROP_FROM_QUEUE, {"event_ids": [seal["event_id"] for seal in seals]})
    last = seals[-1]
    _ADVANCE_HEAD.run(
        session, {"head_operator_id": operator_id, "seq": last["seq"], "hash": last["hash"]}
    )
    head.seq, head.hash = last["seq"], last["hash"]


@dataclass(frozen=True, slots=True)
class TrailCounts:
    events: int
    sealed: int
    queued: int


def trail_counts(session: Session, operator_id: uuid.UUID) -> TrailCounts:
    def count(model: type[AuditEvent] | type[AuditSeal] | type[AuditUnsealed]) -> int:
        return int(
            session.scalar(
                select(func.count()).select_from(model).where(model.operator_id == operator_id)
            )
            or 0
        )

    return TrailCounts(count(AuditEvent), count(AuditSeal), count(AuditUnsealed))


def chain_from(
    session: Session, operator_id: uuid.UUID, *, seq: int, limit: int
) -> list[tuple[AuditSeal, AuditEvent | None]]:
    """The operator's sealed events from link `seq` on, in chain order. A link whose event is
    gone comes back with `None` for the event, so the verifier can name it."""
    rows = session.execute(
        select(AuditSeal, AuditEvent)
        .outerjoin(AuditEvent, AuditEvent.id == AuditSeal.event_id)
        .where(AuditSeal.operator_id == operator_id, AuditSeal.seq >= seq)
        .order_by(AuditSeal.seq)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


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
            .options(selectinload(AuditEvent.seal))
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
