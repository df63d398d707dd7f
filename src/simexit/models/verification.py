from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import EnumText, JsonType, UtcDateTime, new_id
from simexit.verification.states import VerificationStatus


class Verification(Base):
    """One identity challenge. One-time codes are stored only as keyed hashes."""

    __tablename__ = "verifications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    method: Mapped[str] = mapped_column(String(30))
    destination_masked: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[VerificationStatus] = mapped_column(EnumText(VerificationStatus, 20))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_by: Mapped[str | None] = mapped_column(String(120))
    evidence: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
