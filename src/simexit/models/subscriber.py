from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import UtcDateTime, new_id


class Subscriber(Base):
    """A party holding lines. Identity documents are kept only as a keyed hash and last digits."""

    __tablename__ = "subscribers"
    # The operator's own id for the subscriber (its BSS key): a re-pushed base updates, never adds.
    # A unique index, not a constraint: on SQLite adding it does not rebuild the table.
    __table_args__ = (
        Index("uq_subscribers_operator_id_external_id", "operator_id", "external_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    # A device or app-installation token for push messages, as the operator's push service knows it.
    push_token: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(10), default="en")
    id_document_hash: Mapped[str | None] = mapped_column(String(128))
    id_document_last4: Mapped[str | None] = mapped_column(String(4))
    # argon2 (argon2-cffi's PasswordHasher): the PIN itself is never stored.
    account_pin_hash: Mapped[str | None] = mapped_column(String(200))
    # Keyed hash of the national identity number an eID vouches for (verification.secrets).
    national_id_hash: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set on every change through provisioning; None for rows older than it (0011).
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ErasureRequest(Base):
    """A subscriber's (or an agent's, on their behalf) request to erase their personal data,
    with the day the operator's pack says it must be done by. Erased by its job; `done_at` set."""

    __tablename__ = "erasure_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    subscriber_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscribers.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))  # the actor's label
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)  # None: the pack names no deadline
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
