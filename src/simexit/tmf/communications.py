"""TMF681's list: the messages an operator's system posted (`tmf_messages`) and the messages
simexit sent by itself (`notifications`: case received, approved, codes…), newest first, paged
together. A posted message's own notifications are not listed twice: they are its parts.

A reseller's key lists only what that reseller posted: simexit's own notifications belong to the
operator (they name no reseller)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from simexit.models import Notification, TmfMessage
from simexit.principals import Actor
from simexit.tmf.rules import LOST_STATUSES, MESSAGE_KIND, SENT_STATUSES

POSTED: Final = "posted"
SENT_BY_SIMEXIT: Final = "notification"
# A notification's status as a TMF681 state (a `failed` attempt is retried: still in progress).
STATE_OF_STATUS: Final = {
    **dict.fromkeys(SENT_STATUSES, "completed"),
    **dict.fromkeys(LOST_STATUSES, "failed"),
    "queued": "inProgress",
    "failed": "inProgress",
}
# TMF681 `messageType` (any case) -> the notification channel.
CHANNEL_OF_TYPE: Final = {"sms": "sms", "email": "email", "push": "push"}
# What each source contributes to the union: id, time, source.
Listed = Select[uuid.UUID, datetime, str]


@dataclass(frozen=True, slots=True)
class CommunicationFilters:
    ids: Sequence[uuid.UUID] = ()
    message_types: Sequence[str] = ()
    contents: Sequence[str] = ()
    states: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Communication:
    posted: TmfMessage | None = None
    notification: Notification | None = None


def statuses_in(states: Sequence[str]) -> list[str]:
    """The notification statuses a TMF681 state filter matches."""
    return [status for status, state in STATE_OF_STATUS.items() if state in states]


def _posted(actor: Actor, filters: CommunicationFilters) -> Listed:
    statement: Listed = select(
        TmfMessage.id.label("id"),
        TmfMessage.created_at.label("created_at"),
        literal(POSTED).label("source"),
    ).where(TmfMessage.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(TmfMessage.reseller_id == actor.reseller_id)
    if filters.ids:
        statement = statement.where(TmfMessage.id.in_(filters.ids))
    if filters.message_types:
        statement = statement.where(TmfMessage.message_type.in_(filters.message_types))
    if filters.contents:
        statement = statement.where(TmfMessage.content.in_(filters.contents))
    if filters.states:
        statement = statement.where(TmfMessage.state.in_(filters.states))
    return statement


def _sent_by_simexit(actor: Actor, filters: CommunicationFilters) -> Listed | None:
    if actor.reseller_id is not None:
        return None
    statement: Listed = select(
        Notification.id.label("id"),
        Notification.created_at.label("created_at"),
        literal(SENT_BY_SIMEXIT).label("source"),
    ).where(Notification.operator_id == actor.operator_id, Notification.kind != MESSAGE_KIND)
    if filters.ids:
        statement = statement.where(Notification.id.in_(filters.ids))
    if filters.message_types:
        channels = {CHANNEL_OF_TYPE.get(t.lower()) for t in filters.message_types} - {None}
        if not channels:
            return None
        statement = statement.where(Notification.channel.in_(channels))
    if filters.contents:
        statement = statement.where(Notification.body_text.in_(filters.contents))
    if filters.states:
        statuses = statuses_in(filters.states)
        if not statuses:
            return None
        statement = statement.where(Notification.status.in_(statuses))
    return statement


def list_communications(
    session: Session, actor: Actor, filters: CommunicationFilters, *, offset: int, limit: int
) -> tuple[list[Communication], int]:
    parts = [
        p for p in (_posted(actor, filters), _sent_by_simexit(actor, filters)) if p is not None
    ]
    both = union_all(*parts).subquery()
    total = session.scalar(select(func.count()).select_from(both)) or 0
    page = session.execute(
        select(both.c.id, both.c.source)
        .order_by(both.c.created_at.desc(), both.c.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    posted_ids = [row.id for row in page if row.source == POSTED]
    sent_ids = [row.id for row in page if row.source == SENT_BY_SIMEXIT]
    posted = {
        m.id: m for m in session.scalars(select(TmfMessage).where(TmfMessage.id.in_(posted_ids)))
    }
    sent = {
        n.id: n for n in session.scalars(select(Notification).where(Notification.id.in_(sent_ids)))
    }
    found = [
        Communication(posted=posted[row.id])
        if row.source == POSTED
        else Communication(notification=sent[row.id])
        for row in page
        if row.id in posted or row.id in sent
    ]
    return found, int(total)


def sent_by_simexit(
    session: Session, actor: Actor, notification_id: uuid.UUID
) -> Notification | None:
    """One of simexit's own messages of the caller's operator (never a reseller's)."""
    if actor.reseller_id is not None or actor.operator_id is None:
        return None
    return session.scalars(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.operator_id == actor.operator_id,
            Notification.kind != MESSAGE_KIND,
        )
    ).one_or_none()
