from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime, new_id


class Campaign(Base):
    """One bulk action over a selection of an operator's lines (`simexit.campaigns`)."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))  # terminate | suspend | resume | notify
    # The selection (`campaigns.rules.Selection.as_dict`) and the action's parameters.
    selection: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    params: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # draft | approved | running | paused | aborted | done (`campaigns.states`)
    status: Mapped[str] = mapped_column(String(20), index=True)
    start_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The last dry run's figures (counts, blocked by reason, money by currency, a sample).
    dry_run: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # Bumped by every resume: the chunk jobs of one run carry it in their dedup keys.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    lines_selected: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CampaignLine(Base):
    """A line a campaign selected, and what became of it. The primary key (campaign, line) is
    what makes a line acted on at most once by one campaign: its outcome changes from `pending`
    in the same transaction as the action on the line, or not at all."""

    __tablename__ = "campaign_lines"
    __table_args__ = (Index("ix_campaign_lines_campaign_outcome", "campaign_id", "outcome"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    line_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20))
    # pending | done | skipped | failed | aborted
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    acted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
