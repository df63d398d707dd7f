"""Reading and writing payouts, their destinations and batches; the ledger sums they start from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from simexit.models import Case, LedgerEntry, Payout, PayoutBatch, RefundDestination
from simexit.principals import Actor
from simexit.principals.scoping import scope
from simexit.refunds.states import PayoutStatus

# The ledger account a settled case's refund waits in until it is paid (cases.flows `_settle`).
PAYOUT_DUE = "payout_due"


def owed_without_payout(
    session: Session, operator_id: uuid.UUID, *, limit: int = 500
) -> list[tuple[uuid.UUID, str, int]]:
    """(case id, currency, amount) of each case whose ledger owes a refund that has no payout
    yet: the credit left on `payout_due`."""
    has_payout = select(Payout.case_id).where(Payout.operator_id == operator_id)
    owed = func.sum(LedgerEntry.amount_minor)
    statement = (
        select(LedgerEntry.case_id, LedgerEntry.currency, owed)
        .where(
            LedgerEntry.operator_id == operator_id,
            LedgerEntry.account == PAYOUT_DUE,
            LedgerEntry.case_id.not_in(has_payout),
        )
        .group_by(LedgerEntry.case_id, LedgerEntry.currency)
        .having(owed < 0)
        .order_by(LedgerEntry.case_id)
        .limit(limit)
    )
    return [
        (case_id, currency, -int(amount))
        for case_id, currency, amount in session.execute(statement)
    ]


def destination_of(session: Session, case_id: uuid.UUID) -> RefundDestination | None:
    return session.get(RefundDestination, case_id)


def payout_of_case(
    session: Session, case_id: uuid.UUID, *, for_update: bool = False
) -> Payout | None:
    statement = select(Payout).where(Payout.case_id == case_id)
    if for_update:
        statement = statement.with_for_update()
    found: Payout | None = session.scalars(statement).one_or_none()
    return found


def scheduled_bank_payouts(
    session: Session, operator_id: uuid.UUID, currency: str, kinds: Sequence[str], *, limit: int
) -> list[tuple[Payout, RefundDestination]]:
    """Scheduled payouts to a bank account, oldest first, locked for the batch being written."""
    statement = (
        select(Payout, RefundDestination)
        .join(RefundDestination, RefundDestination.case_id == Payout.case_id)
        .where(
            Payout.operator_id == operator_id,
            Payout.currency == currency,
            Payout.status == PayoutStatus.scheduled,
            RefundDestination.kind.in_(list(kinds)),
            RefundDestination.sealed.is_not(None),
        )
        .order_by(Payout.created_at, Payout.id)
        .limit(limit)
        .with_for_update(of=Payout)
    )
    return [(payout, destination) for payout, destination in session.execute(statement)]


def batch_by_message_id(
    session: Session, operator_id: uuid.UUID, message_id: str
) -> PayoutBatch | None:
    found: PayoutBatch | None = session.scalars(
        select(PayoutBatch).where(
            PayoutBatch.operator_id == operator_id, PayoutBatch.message_id == message_id
        )
    ).one_or_none()
    return found


def _operator_scoped(statement: Select[Any], actor: Actor) -> Select[Any]:
    # Batches belong to an operator, never to a reseller or a subscriber: the edges let only
    # operator-level callers (admin scope) reach them.
    if actor.operator_id is not None:
        statement = statement.where(PayoutBatch.operator_id == actor.operator_id)
    return statement


def batch_in_scope(session: Session, actor: Actor, batch_id: uuid.UUID) -> PayoutBatch | None:
    statement = _operator_scoped(select(PayoutBatch).where(PayoutBatch.id == batch_id), actor)
    found: PayoutBatch | None = session.scalars(statement).one_or_none()
    return found


def payouts_of_batch(session: Session, batch_id: uuid.UUID) -> list[Payout]:
    return list(
        session.scalars(select(Payout).where(Payout.batch_id == batch_id).with_for_update())
    )


def list_payouts(
    session: Session,
    actor: Actor,
    *,
    status: PayoutStatus | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Payout, str, str | None]]:
    """Payouts newest first, with the case reference and the masked destination."""
    statement: Select[Any] = scope(
        select(Payout, Case.reference, RefundDestination.masked)  # type: ignore[arg-type]
        .join(Case, Case.id == Payout.case_id)
        .outerjoin(RefundDestination, RefundDestination.case_id == Payout.case_id),
        actor,
        Case,
    )
    if status is not None:
        statement = statement.where(Payout.status == status)
    if after is not None:
        at, last_id = after
        statement = statement.where(
            (Payout.created_at < at) | ((Payout.created_at == at) & (Payout.id < last_id))
        )
    statement = statement.order_by(Payout.created_at.desc(), Payout.id.desc()).limit(limit)
    return [(p, ref, masked) for p, ref, masked in session.execute(statement)]


def list_batches(session: Session, actor: Actor, *, limit: int) -> list[PayoutBatch]:
    statement = _operator_scoped(select(PayoutBatch), actor)
    return list(
        session.scalars(
            statement.order_by(PayoutBatch.created_at.desc(), PayoutBatch.id.desc()).limit(limit)
        )
    )


def erase_destinations(session: Session, subscriber_id: uuid.UUID) -> int:
    """Forget the account details of every refund destination of the subscriber's cases."""
    cases = select(Case.id).where(Case.subscriber_id == subscriber_id).scalar_subquery()
    result = session.execute(
        update(RefundDestination)
        .where(RefundDestination.case_id.in_(cases))
        .values(sealed=None, masked=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unschedule_payouts_of(session: Session, subscriber_id: uuid.UUID, now: datetime) -> int:
    """Scheduled payouts of the subscriber's cases wait for a destination again (it was erased)."""
    cases = select(Case.id).where(Case.subscriber_id == subscriber_id).scalar_subquery()
    result = session.execute(
        update(Payout)
        .where(Payout.case_id.in_(cases), Payout.status == PayoutStatus.scheduled)
        .values(status=PayoutStatus.awaiting_destination, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
