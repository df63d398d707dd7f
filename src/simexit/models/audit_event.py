from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime


class AuditEvent(Base):
    """Append-only. Written with the hash of its own content in the transaction of the change it
    records; linked into its operator's chain after commit by the sealer (`AuditSeal`)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    # None only for events written before sealing existed; their seal's hash covers the content.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    seal: Mapped[AuditSeal | None] = relationship(
        primaryjoin="AuditEvent.id == foreign(AuditSeal.event_id)", uselist=False, viewonly=True
    )

    @property
    def seq(self) -> int | None:
        """The event's place in its operator's chain; None until the sealer links it."""
        return self.seal.seq if self.seal is not None else None


class AuditSeal(Base):
    """An event's link in its operator's chain: its place (`seq`), the previous link's hash and
    the hash over both and the event's content. Append-only; the database refuses a link that
    does not follow the one before it. Written only by the sealer, in commit order."""

    __tablename__ = "audit_seals"
    __table_args__ = (UniqueConstraint("operator_id", "seq"),)

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditUnsealed(Base):
    """Events committed but not yet linked: the sealer's queue, filled by a trigger on
    `audit_events` and emptied as links are written. Not evidence: `audit verify` counts events
    against links, so a queue row removed by hand is still noticed."""

    __tablename__ = "audit_unsealed"
    __table_args__ = (Index("ix_audit_unsealed_operator", "operator_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))


class AuditChainHead(Base):
    """The last link of each operator's chain; locked by the sealer only, so the chain never
    forks and no request waits on it."""

    __tablename__ = "audit_chain_heads"

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement of an operator's chain head, as it was exported. Append-only."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("operator_id", "seq"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"))
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(100))
