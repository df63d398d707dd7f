from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime, new_id


class TmfOrder(Base):
    """A TMF622 product order as received, and the cases it opened (one per item carried out).

    `state` is what simexit decided when the order came in (`acknowledged`, or `rejected` with
    `state_reason`); once items have cases, the order's visible state is derived from them
    (`simexit.tmf.rules.order_state`). `items` keeps, per order item, its id, action, product id,
    the case id or the reason it was not carried out."""

    __tablename__ = "tmf_orders"
    __table_args__ = (
        Index("ix_tmf_orders_operator_order_date", "operator_id", "order_date", "id"),
        Index("ix_tmf_orders_operator_external_id", "operator_id", "external_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    # The reseller whose key placed the order: a reseller sees only its own orders.
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resellers.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(30))
    state_reason: Mapped[str | None] = mapped_column(Text)
    # The derived state the order's hub listeners were last told of (each change is sent once).
    notified_state: Mapped[str | None] = mapped_column(String(30))
    order_date: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_completion_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancellation_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class TmfOrderCase(Base):
    """Which order opened which case: a change of the case finds its orders through this."""

    __tablename__ = "tmf_order_cases"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tmf_orders.id"), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)


class TmfOrderCancellation(Base):
    """A TMF622 `cancelProductOrder` request: withdraw the order's cases before they take effect."""

    __tablename__ = "tmf_order_cancellations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tmf_orders.id"), index=True)
    state: Mapped[str] = mapped_column(String(30))
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    state_reason: Mapped[str | None] = mapped_column(Text)
    requested_cancellation_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    effective_cancellation_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TmfMessage(Base):
    """A TMF681 `communicationMessage` posted by an operator's system: what it asked to send, to
    whom, and the notifications it became (one per receiver reached; none when no receiver is a
    subscriber of the operator's, and then `state` is failed with `state_reason`)."""

    __tablename__ = "tmf_messages"
    __table_args__ = (Index("ix_tmf_messages_operator_created", "operator_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    reseller_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resellers.id"))
    message_type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    state_reason: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    notification_ids: Mapped[list[str]] = mapped_column(JsonType, default=list)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
