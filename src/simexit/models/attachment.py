from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import UtcDateTime, new_id


class InformationRequest(Base):
    """What an agent asked the subscriber of a case for, by when, and the answer.

    `status`: open (waiting), answered, lapsed (the due date passed), closed (the case ended
    otherwise). `message` and `answer_text` are personal data: erasure blanks them."""

    __tablename__ = "information_requests"
    __table_args__ = (Index("ix_information_requests_status_due", "status", "due_date"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer_text: Mapped[str | None] = mapped_column(Text)
    sla_days_waited: Mapped[int | None] = mapped_column(Integer)


class Attachment(Base):
    """A file a subscriber uploaded, sealed (AES-GCM bound to this id) in the file store.

    The row keeps the type and size the upload was checked for; the bytes live only in the
    store under `storage_key`. Erasure deletes both."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    information_request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("information_requests.id"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
