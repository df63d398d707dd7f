from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Uuid, false
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
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookEndpoint(Base):
    """One of an operator's webhook receivers: a URL, its signing secret, and the events it wants.

    Rotating the secret keeps the old one in `previous_secret` until `previous_expires_at`:
    meanwhile every delivery carries both signatures (Stripe's endpoint secret rolling), so a
    receiver can switch secrets at its own pace. The secrets are kept as written, not hashed:
    simexit needs them to sign."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_operator_created", "operator_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(String(200))
    # Event types this endpoint receives; empty: every event.
    events: Mapped[list[str]] = mapped_column(JsonType, default=list)
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
