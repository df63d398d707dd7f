from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import UtcDateTime, new_id


class RetentionAcceptance(Base):
    """A retention offer of the operator's pack a subscriber took instead of cancelling.

    `effect`: `suspension_case` (a pause: `case_id` is the suspension case opened) or
    `operator_request` (a cheaper plan: announced to the operator by the
    `case.retention_offer_accepted` webhook; simexit changes no plan itself)."""

    __tablename__ = "retention_acceptances"
    __table_args__ = (
        Index("ix_retention_acceptances_operator_created", "operator_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lines.id"), index=True)
    offer_code: Mapped[str] = mapped_column(String(40))
    offer_kind: Mapped[str] = mapped_column(String(20))
    effect: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
