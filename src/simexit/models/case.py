from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from simexit.cases.states import CaseStatus
from simexit.db import Base
from simexit.models._types import (
    DecisionDocument,
    EnumText,
    FindingsDocument,
    UtcDateTime,
    new_id,
)
from simexit.policies.model import Decision, Finding

# Kept in step with cases.states.OPEN; a migration test checks they agree.
OPEN_STATUSES_SQL = (
    "status IN ('draft','awaiting_verification','submitted','blocked','in_review',"
    "'information_required','approved','executing','failed')"
)


class Case(Base):
    """One request against one line. `preview` is the policy decision frozen at submission."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("operator_id", "reference"),
        # At most one open case per line and type, enforced by the database itself.
        Index(
            "uq_cases_open_per_line_type",
            "line_id",
            "type",
            unique=True,
            sqlite_where=text(OPEN_STATUSES_SQL),
            postgresql_where=text(OPEN_STATUSES_SQL),
        ),
        Index("ix_cases_operator_status_due", "operator_id", "status", "sla_due_date"),
        Index("ix_cases_status_effective", "status", "effective_date"),
        Index("ix_cases_operator_created", "operator_id", "created_at", "id"),
        # The console's queue: "mine" and "unassigned" per operator, in due order.
        Index("ix_cases_operator_assignee_due", "operator_id", "assignee_id", "sla_due_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lines.id"), index=True)
    subscriber_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscribers.id"), index=True)
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resellers.id"), index=True)
    parent_case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    # The staff member working the case (claimed or assigned in the console); None = nobody yet.
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reference: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[CaseStatus] = mapped_column(EnumText(CaseStatus, 30))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    consent_text: Mapped[str | None] = mapped_column(Text)
    consented_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    requested_date: Mapped[date | None] = mapped_column(Date)
    settlement: Mapped[str | None] = mapped_column(String(20))
    transfer_to_msisdn: Mapped[str | None] = mapped_column(String(20))
    suspend_until: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    billing_end_date: Mapped[date | None] = mapped_column(Date)
    sla_due_date: Mapped[date | None] = mapped_column(Date)
    preview: Mapped[Decision | None] = mapped_column(DecisionDocument)
    blockers: Mapped[tuple[Finding, ...]] = mapped_column(FindingsDocument, default=tuple)
    review_reasons: Mapped[tuple[Finding, ...]] = mapped_column(FindingsDocument, default=tuple)
    decision_note: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # The Idempotency-Key the case was opened with, kept for tracing only: repeats are answered by
    # the per-caller store (`idempotency_keys`), so nothing looks a case up by it and it need not
    # be unique (two callers may use one key; one caller may reuse it once it has expired).
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10), default="en")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    executing_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class ReferenceCounter(Base):
    """The next human reference number per operator and year; bumped under a row lock."""

    __tablename__ = "reference_counters"

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
