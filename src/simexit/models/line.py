from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.lines.states import LineStatus
from simexit.models._types import EnumText, JsonType, UtcDateTime, new_id


class Line(Base):
    """One subscription. Money is integer minor units in `currency`."""

    __tablename__ = "lines"
    __table_args__ = (
        UniqueConstraint("operator_id", "iccid"),
        # The operator's own id for the line (its BSS key): a re-pushed base updates, never adds.
        # A unique index, not a constraint: on SQLite adding it does not rebuild the table.
        Index("uq_lines_operator_id_external_id", "operator_id", "external_id", unique=True),
        # `GET /v1/lines?updated_since=` and a BSS's incremental sync read lines in this order.
        Index("ix_lines_operator_updated", "operator_id", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    subscriber_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscribers.id"), index=True)
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resellers.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    plan: Mapped[str] = mapped_column(String(20))
    product_name: Mapped[str | None] = mapped_column(String(120))
    brand: Mapped[str | None] = mapped_column(String(80))
    iccid: Mapped[str | None] = mapped_column(String(22))
    imsi: Mapped[str | None] = mapped_column(String(15))
    eid: Mapped[str | None] = mapped_column(String(32))
    smdp_order_id: Mapped[str | None] = mapped_column(String(64))
    # The eSIM profile's last state the SM-DP+ reported (ES2+ notices): installed, deleted, ...
    esim_profile_state: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[LineStatus] = mapped_column(EnumText(LineStatus, 30), index=True)
    suspension_flags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    region: Mapped[str | None] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    activated_on: Mapped[date] = mapped_column(Date)
    commitment_start: Mapped[date | None] = mapped_column(Date)
    commitment_end: Mapped[date | None] = mapped_column(Date)
    commitment_kind: Mapped[str | None] = mapped_column(String(40))
    monthly_fee_minor: Mapped[int | None] = mapped_column(Integer)
    # The discount or device subsidy granted for the commitment (LineFacts.commitment_benefit).
    commitment_benefit_minor: Mapped[int | None] = mapped_column(Integer)
    billing_cycle_day: Mapped[int | None] = mapped_column(Integer)
    plan_expiry: Mapped[date | None] = mapped_column(Date)
    last_topup_on: Mapped[date | None] = mapped_column(Date)
    last_chargeable_activity_on: Mapped[date | None] = mapped_column(Date)
    balance_minor: Mapped[int] = mapped_column(Integer, default=0)
    bonus_balance_minor: Mapped[int] = mapped_column(Integer, default=0)
    unpaid_bills_minor: Mapped[int] = mapped_column(Integer, default=0)
    device_instalment_minor: Mapped[int] = mapped_column(Integer, default=0)
    linked_services: Mapped[list[str]] = mapped_column(JsonType, default=list)
    port_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    purchase_channel: Mapped[str] = mapped_column(String(20), default="direct")
    signed_up_channel: Mapped[str | None] = mapped_column(String(20))
    suspended_since: Mapped[date | None] = mapped_column(Date)
    suspensions_this_year: Mapped[int] = mapped_column(Integer, default=0)
    # The calendar year `suspensions_this_year` counts (None: as the BSS gave it, this year's).
    suspensions_counted_year: Mapped[int | None] = mapped_column(Integer)
    suspensions_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The day a voluntary suspension ends (its case's `suspend_until`): the scheduler resumes it.
    voluntary_until: Mapped[date | None] = mapped_column(Date, index=True)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    quarantine_until: Mapped[date | None] = mapped_column(Date)
    reactivation_deadline: Mapped[date | None] = mapped_column(Date)
    sim_return_required: Mapped[bool] = mapped_column(Boolean, default=False)
    sim_returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    number_released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
