"""A sandbox operator's test clock: that operator's "now", frozen, moved only forward.

One clock per operator (a unique operator_id): every piece of the operator's work — API calls,
portal and console, its jobs and the scheduler's scans — reads the same time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import UtcDateTime, new_id


class TestClock(Base):
    __tablename__ = "test_clocks"
    __test__ = False  # not a pytest test class, despite the name

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    frozen_time: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Always "ready" today: an advance moves the time in one transaction; its due work runs after
    # (and the worker's scans catch up any that did not finish).
    status: Mapped[str] = mapped_column(String(20), default="ready")
