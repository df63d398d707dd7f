"""Every query of campaigns: a selection as SQL, the set-based copy of the selected lines into
the campaign's line table, claiming a chunk of pending lines, counts by outcome, the report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session

from simexit.campaigns.rules import Outcome, Selection
from simexit.cases.states import OPEN
from simexit.lines.states import LIVE
from simexit.models import Campaign, CampaignLine, Case, Line
from simexit.paging import newest_first


def _criteria(operator_id: uuid.UUID, selection: Selection) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Line.operator_id == operator_id]
    if selection.brand is not None:
        where.append(Line.brand == selection.brand)
    if selection.product is not None:
        where.append(Line.product_name == selection.product)
    if selection.statuses:
        where.append(Line.status.in_(selection.statuses))
    if selection.kind is not None:
        where.append(Line.kind == selection.kind)
    if selection.plan is not None:
        where.append(Line.plan == selection.plan)
    if selection.last_topup_before is not None:
        # Never topped up counts as before any date.
        where.append(
            or_(Line.last_topup_on.is_(None), Line.last_topup_on < selection.last_topup_before)
        )
    if selection.last_activity_before is not None:
        where.append(
            or_(
                Line.last_chargeable_activity_on.is_(None),
                Line.last_chargeable_activity_on < selection.last_activity_before,
            )
        )
    if selection.sims_over is not None:
        where.append(Line.subscriber_id.in_(_holders_over(operator_id, selection.sims_over)))
    if selection.zero_balance:
        where.append(Line.balance_minor + Line.bonus_balance_minor <= 0)
    if selection.beyond_first is not None:
        where.append(Line.id.in_(_beyond_first(operator_id, selection.beyond_first)))
    if selection.msisdns:
        where.append(Line.msisdn.in_(selection.msisdns))
    return where


def _beyond_first(operator_id: uuid.UUID, first: int) -> Select[Any]:
    """Each subscriber's live lines after their first `first`, oldest activation first."""
    ranked = (
        select(
            Line.id.label("id"),
            func.row_number()
            .over(partition_by=Line.subscriber_id, order_by=(Line.activated_on, Line.id))
            .label("rank"),
        )
        .where(Line.operator_id == operator_id, Line.status.in_(LIVE))
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.rank > first)


def _holders_over(operator_id: uuid.UUID, limit: int) -> Select[Any]:
    return (
        select(Line.subscriber_id)
        .where(Line.operator_id == operator_id, Line.status.in_(LIVE))
        .group_by(Line.subscriber_id)
        .having(func.count() > limit)
    )


def selected_lines(
    session: Session, operator_id: uuid.UUID, selection: Selection, *, batch: int
) -> Iterator[list[Line]]:
    """The selected lines in batches, in id order (keyset: no offset, no whole set in memory)."""
    where = _criteria(operator_id, selection)
    after: uuid.UUID | None = None
    while True:
        query = select(Line).where(*where).order_by(Line.id).limit(batch)
        if after is not None:
            query = query.where(Line.id > after)
        found = list(session.scalars(query))
        if not found:
            return
        yield found
        after = found[-1].id
        session.expunge_all()  # a dry run over a million lines holds one batch at a time


def _among(
    session: Session, column: InstrumentedAttribute[uuid.UUID], ids: list[uuid.UUID]
) -> ColumnElement[bool]:
    """`column IN (ids)`; on PostgreSQL `= ANY(array)`: one parameter, not one per id (psycopg
    takes a while to parse a statement with hundreds of placeholders, every time)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(Uuid)))
    return column.in_(ids)


def lines_with_open_cases(session: Session, line_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not line_ids:
        return set()
    return set(
        session.scalars(
            select(Case.line_id).where(
                _among(session, Case.line_id, line_ids), Case.status.in_(OPEN)
            )
        )
    )


def copy_selection(session: Session, campaign: Campaign, selection: Selection) -> int:
    """The selected lines into the campaign's line table, `pending`, in one statement."""
    rows = select(
        literal(campaign.id, CampaignLine.campaign_id.type),
        Line.id,
        Line.msisdn,
        literal(Outcome.pending.value),
    ).where(*_criteria(campaign.operator_id, selection))
    result = session.execute(
        insert(CampaignLine).from_select(["campaign_id", "line_id", "msisdn", "outcome"], rows)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_pending(session: Session, campaign_id: uuid.UUID, *, limit: int) -> list[CampaignLine]:
    """Up to `limit` pending lines, locked: on PostgreSQL another worker's chunk skips the rows
    this one holds (SKIP LOCKED), so two workers share a campaign without waiting on each
    other; SQLite has one writer at a time anyway."""
    query = (
        select(CampaignLine)
        .where(
            CampaignLine.campaign_id == campaign_id,
            CampaignLine.outcome == Outcome.pending.value,
        )
        .order_by(CampaignLine.line_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def lines_for_update(session: Session, line_ids: list[uuid.UUID]) -> dict[uuid.UUID, Line]:
    found = session.scalars(
        select(Line).where(_among(session, Line.id, line_ids)).with_for_update()
    )
    return {line.id: line for line in found}


def count_pending(session: Session, campaign_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                CampaignLine.campaign_id == campaign_id,
                CampaignLine.outcome == Outcome.pending.value,
            )
        )
        or 0
    )


def outcome_counts(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(CampaignLine.outcome, func.count())
        .where(CampaignLine.campaign_id == campaign_id)
        .group_by(CampaignLine.outcome)
    )
    return {str(outcome): int(count) for outcome, count in rows}


def skip_counts(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(CampaignLine.reason, func.count())
        .where(
            CampaignLine.campaign_id == campaign_id,
            CampaignLine.outcome == Outcome.skipped.value,
        )
        .group_by(CampaignLine.reason)
    )
    return {str(reason): int(count) for reason, count in rows}


def abort_pending(session: Session, campaign_id: uuid.UUID, now: datetime) -> int:
    result = session.execute(
        update(CampaignLine)
        .where(
            and_(
                CampaignLine.campaign_id == campaign_id,
                CampaignLine.outcome == Outcome.pending.value,
            )
        )
        .values(outcome=Outcome.aborted.value, reason="campaign_aborted", acted_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def finish_if_running(session: Session, campaign_id: uuid.UUID, now: datetime) -> bool:
    """Mark a running campaign done; True for the one transaction that did it."""
    result = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == "running")
        .values(status="done", finished_at=now, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def get(
    session: Session, operator_id: uuid.UUID | None, campaign_id: uuid.UUID, *, for_update: bool
) -> Campaign | None:
    query = select(Campaign).where(Campaign.id == campaign_id)
    if operator_id is not None:
        query = query.where(Campaign.operator_id == operator_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def newest(
    session: Session,
    operator_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Campaign]:
    query = select(Campaign).where(Campaign.operator_id == operator_id)
    return list(
        session.scalars(
            newest_first(query, Campaign.created_at, Campaign.id, after=after, limit=limit)
        )
    )


def report(session: Session, campaign_id: uuid.UUID) -> Iterator[CampaignLine]:
    yield from session.scalars(
        select(CampaignLine)
        .where(CampaignLine.campaign_id == campaign_id)
        .order_by(CampaignLine.line_id)
        .execution_options(yield_per=2000)
    )
