from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import UtcDateTime


class RateLimitCounter(Base):
    """Hits of one fixed window of one limit (`key` holds the limit, the subject and the window).

    Kept in the database so that every server process of a deployment counts against the same
    window; expired windows are deleted lazily by the next hit."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
