"""The ledger's queries: entries of one operator and period in time order (streamed), the sum of
each case per currency, and each payout beside its accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from simexit.models import Case, LedgerEntry, Payout

STREAM_CHUNK = 2000  # rows fetched at a time: an operator's year is never held in memory


def entries(
    session: Session, operator_id: uuid.UUID, start: datetime, end: datetime
) -> Iterator[tuple[LedgerEntry, str]]:
    """Entries created in [start, end), oldest first, with their case's reference."""
    statement = (
        select(LedgerEntry, Case.reference)
        .join(Case, Case.id == LedgerEntry.case_id)
        .where(
            LedgerEntry.operator_id == operator_id,
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
        )
        .order_by(LedgerEntry.created_at, LedgerEntry.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for row in session.execute(statement):
        yield row[0], row[1]


def _scoped(statement: Any, operator_id: uuid.UUID | None) -> Any:
    return statement if operator_id is None else statement.where(Case.operator_id == operator_id)


def unbalanced_cases(session: Session, operator_id: uuid.UUID | None) -> list[tuple[str, str, int]]:
    """(reference, currency, total) of every case whose entries do not sum to zero."""
    total = func.sum(LedgerEntry.amount_minor)
    statement = (
        select(Case.reference, LedgerEntry.currency, total.label("total"))
        .join(Case, Case.id == LedgerEntry.case_id)
        .group_by(Case.reference, LedgerEntry.currency)
        .having(total != 0)
    )
    return [
        (str(reference), str(currency), int(total))
        for reference, currency, total in session.execute(_scoped(statement, operator_id))
    ]


def case_count(session: Session, operator_id: uuid.UUID | None) -> int:
    statement = select(func.count(func.distinct(LedgerEntry.case_id))).join(
        Case, Case.id == LedgerEntry.case_id
    )
    return int(session.scalar(_scoped(statement, operator_id)) or 0)


@dataclass(frozen=True, slots=True)
class PayoutAccounts:
    reference: str
    status: str
    amount_minor: int
    due_minor: int
    in_transit_minor: int
    refunded_minor: int


def _on(account: str, *, kind: str | None = None) -> Any:
    condition = LedgerEntry.account == account
    if kind is not None:
        condition = condition & (LedgerEntry.kind == kind)
    return func.coalesce(func.sum(case((condition, LedgerEntry.amount_minor), else_=0)), 0)


def payouts_with_accounts(
    session: Session, operator_id: uuid.UUID | None
) -> Iterator[PayoutAccounts]:
    """Each payout, and what its case's ledger holds on the payout accounts. A payout's case
    has at most one payout, so the case's sums are the payout's."""
    statement = (
        select(
            Case.reference,
            Payout.status,
            Payout.amount_minor,
            _on("payout_due"),
            _on("payout_in_transit"),
            # What the case owed when it settled: its refund credited to payout_due.
            -_on("payout_due", kind="prepaid_refund"),
        )
        .join(Case, Case.id == Payout.case_id)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.case_id == Payout.case_id) & (LedgerEntry.currency == Payout.currency),
        )
        .group_by(Payout.id, Case.reference, Payout.status, Payout.amount_minor)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    for row in session.execute(_scoped(statement, operator_id)):
        reference, status, amount, due, transit, refunded = row
        yield PayoutAccounts(
            reference, str(status), int(amount), int(due), int(transit), int(refunded)
        )
