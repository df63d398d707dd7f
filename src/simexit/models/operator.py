from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime, new_id


class Operator(Base):
    """The tenant: an operator, MVNO or eSIM seller, bound to one policy pack."""

    __tablename__ = "operators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    languages: Mapped[list[str]] = mapped_column(JsonType)
    policy_pack: Mapped[str] = mapped_column(String(80))
    reference_prefix: Mapped[str] = mapped_column(String(8))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A sandbox operator (the demo's, an integrator's trial) may run on a test clock. Deferred:
    # read only where it matters (`operators.clocks.is_sandbox`), not with every operator loaded.
    sandbox: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), deferred=True
    )


class Reseller(Base):
    """A channel partner that sold lines and may act for its customers."""

    __tablename__ = "resellers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
