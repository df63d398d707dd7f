"""The sealer: links committed audit events into their operator's chain, in commit order.

Requests write events with no lock (`audit.service.record`); a trigger queues each one in
`audit_unsealed`. The sealer takes an operator's chain head (`FOR UPDATE SKIP LOCKED`, so two
sealers never wait on each other: the second one skips that operator), links up to `batch` queued
events to it, one after the other in the order they were written, moves the head and commits:
the head is held for one short transaction per batch, never for a request. An event is only
visible to the sealer once its transaction committed, so the chain's order is commit order (up to
transactions committing in the same instant), and a rolled-back request leaves nothing to seal.

The worker runs `seal_all` before each batch of jobs and whenever it is idle (`worker.main`);
`simexit audit seal` runs it by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from simexit.audit import repository
from simexit.audit.chain import content_hash, event_hash
from simexit.audit.service import content_of
from simexit.db import Database

log = structlog.get_logger()

DEFAULT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Sealed:
    operator_id: uuid.UUID
    events: int
    head_seq: int


def seal_operator(session: Session, operator_id: uuid.UUID, *, batch: int) -> Sealed | None:
    """Link up to `batch` of the operator's queued events; None if another sealer holds it."""
    head = repository.head_for_sealing(session, operator_id)
    if head is None:
        return None
    events = repository.queued_events(session, operator_id, limit=batch)
    if not events:
        return Sealed(operator_id, 0, head.seq)
    seals = []
    seq, prev = head.seq, head.hash
    for event in events:
        content = content_of(event)
        if event.content_hash is not None and content_hash(content) != event.content_hash:
            # The append-only trigger makes this impossible short of a superuser; the link is
            # still written (the chain must not stall) and `audit verify` names the event.
            log.error("audit.seal.content_mismatch", event_id=event.id, operator_id=operator_id)
        seq += 1
        digest = event_hash(prev_hash=prev, seq=seq, content=content)
        seals.append(
            {
                "event_id": event.id,
                "operator_id": operator_id,
                "seq": seq,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    repository.write_seals(session, operator_id, head, seals)
    return Sealed(operator_id, len(seals), head.seq)


def seal_all(db: Database, *, batch: int = DEFAULT_BATCH) -> list[Sealed]:
    """Seal every operator's queue, one short transaction per operator and batch."""
    with db.read_session() as session:
        operators = repository.operators_with_unsealed(session)
    sealed: list[Sealed] = []
    for operator_id in operators:
        while True:
            with db.session() as session:
                done = seal_operator(session, operator_id, batch=batch)
            if done is None or done.events == 0:
                break
            sealed.append(done)
            if done.events < batch:
                break
    if sealed:
        log.debug("audit.sealed", events=sum(s.events for s in sealed), operators=len(sealed))
    return sealed
