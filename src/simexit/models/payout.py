from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import EnumText, UtcDateTime, new_id
from simexit.refunds.states import PayoutStatus


class RefundDestination(Base):
    """Where a case's refund is paid, as the subscriber or an agent gave it: sealed (AES-GCM,
    `refunds.sealing`) and masked. One per case; erased with the subscriber's personal data."""

    __tablename__ = "refund_destinations"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    masked: Mapped[str | None] = mapped_column(String(40))
    sealed: Mapped[str | None] = mapped_column(Text)
    given_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Payout(Base):
    """A refund owed to a subscriber, from the case's ledger, until the bank says it is paid."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("case_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PayoutStatus] = mapped_column(EnumText(PayoutStatus, 30), index=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    return_reason: Mapped[str | None] = mapped_column(String(40))
    files_sent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PayoutBatch(Base):
    """One pain.001 file: the scheduled bank payouts of one operator in one currency."""

    __tablename__ = "payout_batches"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    transfer_count: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    execution_date: Mapped[date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    # The file as written, sealed like the destinations: it names every creditor's account.
    file_sealed: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_report_id: Mapped[str | None] = mapped_column(String(35))
