"""Notifications to subscribers (one row per channel), their delivery log, and webhooks to integrators.

One `Notification` row per message and channel; its `dedup_key` is unique, so the same kind for
the same subject on the same channel exists once however often `notify` or its job runs. Every
try to hand a message to a transport is one `NotificationDelivery` row (and every gateway delivery
report one more), so nothing happens to a message without a trace.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime, new_id

CHANNEL_NAME_LENGTH = 10  # a channel's name is stored on every row (and in its dedup key)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index(
            "ix_notifications_operator_transport_created", "operator_id", "transport", "created_at"
        ),
        Index("ix_notifications_subject", "subject_id"),
        Index("ix_notifications_operator_created", "operator_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    kind: Mapped[str] = mapped_column(String(60))  # dotted template name, e.g. case.approved
    subject_id: Mapped[str] = mapped_column(String(64))  # the case (or verification) it is about
    channel: Mapped[str] = mapped_column(
        String(CHANNEL_NAME_LENGTH)
    )  # a registered channel: email | sms | push ...
    language: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # queued | sent | delivered | failed (retrying) | dead | undeliverable (per delivery report)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    transport: Mapped[str | None] = mapped_column(
        String(20)
    )  # smtp | kannel | push_http | sink, once sent
    # How the network counts the text where that is billed (SMS: gsm7 | ucs2, and its parts).
    sms_encoding: Mapped[str | None] = mapped_column(String(10))
    sms_segments: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    redacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationDelivery(Base):
    """One event in a notification's delivery: a transport attempt or a delivery report."""

    __tablename__ = "notification_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    notification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notifications.id"), index=True)
    event: Mapped[str] = mapped_column(String(10))  # attempt | report
    transport: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(
        String(20)
    )  # sent | error | delivered | undeliverable | ...
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(500))  # gateway answer or error, no secrets
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event for one integrator endpoint. The body is stored as signed, byte for byte."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_operator_created", "operator_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    # The endpoint it goes to (its secret signs it); None only for rows older than endpoints.
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_endpoints.id"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(64), unique=True)  # the webhook-id header
    event_type: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
