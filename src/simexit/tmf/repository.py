"""Every query of the TM Forum façade: orders, their cancellations, their cases, lines as products.
Scoped to the caller's operator (and reseller); outside it a row is simply not found."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from simexit.lines.states import LineStatus
from simexit.models import (
    Case,
    Line,
    Notification,
    TmfMessage,
    TmfOrder,
    TmfOrderCancellation,
    TmfOrderCase,
)
from simexit.principals import Actor
from simexit.principals.scoping import scope
from simexit.tmf.errors import (
    CancellationNotFound,
    MessageNotFound,
    OrderNotFound,
    ProductNotFound,
)


def _orders(statement: Select[Any], actor: Actor) -> Select[Any]:
    if actor.operator_id is not None:
        statement = statement.where(TmfOrder.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(TmfOrder.reseller_id == actor.reseller_id)
    return statement


def get_order(
    session: Session, actor: Actor, order_id: uuid.UUID, *, for_update: bool = False
) -> TmfOrder:
    statement = _orders(select(TmfOrder).where(TmfOrder.id == order_id), actor)
    if for_update:
        statement = statement.with_for_update()
    order: TmfOrder | None = session.scalars(statement).one_or_none()
    if order is None:
        raise OrderNotFound("no such productOrder", field="id", id=str(order_id))
    return order


@dataclass(frozen=True, slots=True)
class OrderFilters:
    ids: Sequence[uuid.UUID] = ()
    states: Sequence[str] = ()
    external_ids: Sequence[str] = ()
    order_dates: Sequence[datetime] = ()


def list_orders(
    session: Session, actor: Actor, filters: OrderFilters, *, offset: int, limit: int
) -> tuple[list[TmfOrder], int]:
    """A page of orders, newest first, and how many match in all (X-Total-Count).

    `states` filters the derived state as last recorded (`notified_state`): every change of an
    order's cases runs `tmf.events.notify_order` in its own transaction, which records the new
    derived state, so the column is the state a read derives, kept in SQL."""
    statement = _orders(select(TmfOrder), actor)
    if filters.ids:
        statement = statement.where(TmfOrder.id.in_(filters.ids))
    if filters.states:
        statement = statement.where(TmfOrder.notified_state.in_(filters.states))
    if filters.external_ids:
        statement = statement.where(TmfOrder.external_id.in_(filters.external_ids))
    if filters.order_dates:
        statement = statement.where(TmfOrder.order_date.in_(filters.order_dates))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = session.scalars(
        statement.order_by(TmfOrder.order_date.desc(), TmfOrder.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(page), int(total)


def cases_by_id(session: Session, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
    if not case_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}


def orders_of_case(session: Session, case_id: uuid.UUID) -> list[TmfOrder]:
    """The orders whose items opened this case, locked (their `notified_state` changes)."""
    statement = (
        select(TmfOrder)
        .join(TmfOrderCase, TmfOrderCase.order_id == TmfOrder.id)
        .where(TmfOrderCase.case_id == case_id)
        .with_for_update()
    )
    return list(session.scalars(statement))


def get_cancellation(
    session: Session, actor: Actor, cancellation_id: uuid.UUID
) -> TmfOrderCancellation:
    statement = _orders(
        select(TmfOrderCancellation)
        .join(TmfOrder, TmfOrder.id == TmfOrderCancellation.order_id)
        .where(TmfOrderCancellation.id == cancellation_id),
        actor,
    )
    found: TmfOrderCancellation | None = session.scalars(statement).one_or_none()
    if found is None:
        raise CancellationNotFound("no such cancelProductOrder", field="id")
    return found


def list_cancellations(
    session: Session, actor: Actor, *, offset: int, limit: int
) -> tuple[list[TmfOrderCancellation], int]:
    statement = _orders(
        select(TmfOrderCancellation).join(TmfOrder, TmfOrder.id == TmfOrderCancellation.order_id),
        actor,
    )
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = session.scalars(
        statement.order_by(TmfOrderCancellation.created_at.desc(), TmfOrderCancellation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(page), int(total)


# --- lines as TMF637 products -----------------------------------------------------------------


def get_product(session: Session, actor: Actor, line_id: uuid.UUID) -> Line:
    statement = scope(select(Line).where(Line.id == line_id), actor, Line)
    line: Line | None = session.scalars(statement).one_or_none()
    if line is None:
        raise ProductNotFound("no such product", field="id", id=str(line_id))
    return line


def find_product(session: Session, actor: Actor, line_id: uuid.UUID) -> Line | None:
    statement = scope(select(Line).where(Line.id == line_id), actor, Line)
    found: Line | None = session.scalars(statement).one_or_none()
    return found


@dataclass(frozen=True, slots=True)
class ProductFilters:
    ids: Sequence[uuid.UUID] = ()
    statuses: Sequence[LineStatus] | None = None  # None: any; empty: none match
    names: Sequence[str] = ()
    msisdns: Sequence[str] = ()


def list_products(
    session: Session, actor: Actor, filters: ProductFilters, *, offset: int, limit: int
) -> tuple[list[Line], int]:
    statement = scope(select(Line), actor, Line)
    if filters.ids:
        statement = statement.where(Line.id.in_(filters.ids))
    if filters.statuses is not None:
        statement = statement.where(Line.status.in_([s.value for s in filters.statuses]))
    if filters.names:
        statement = statement.where(Line.product_name.in_(filters.names))
    if filters.msisdns:
        statement = statement.where(Line.msisdn.in_(filters.msisdns))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = session.scalars(statement.order_by(Line.created_at, Line.id).offset(offset).limit(limit))
    return list(page), int(total)


# --- TMF681 communication messages ----------------------------------------------------------


def _messages(statement: Select[Any], actor: Actor) -> Select[Any]:
    if actor.operator_id is not None:
        statement = statement.where(TmfMessage.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(TmfMessage.reseller_id == actor.reseller_id)
    return statement


def get_message(
    session: Session, actor: Actor, message_id: uuid.UUID, *, for_update: bool = False
) -> TmfMessage:
    statement = _messages(select(TmfMessage).where(TmfMessage.id == message_id), actor)
    if for_update:
        statement = statement.with_for_update()
    found: TmfMessage | None = session.scalars(statement).one_or_none()
    if found is None:
        raise MessageNotFound("no such communicationMessage", field="id", id=str(message_id))
    return found


def lock_message(session: Session, message_id: uuid.UUID) -> TmfMessage | None:
    """The message row, locked for the rest of the transaction (FOR UPDATE on PostgreSQL)."""
    return session.scalars(
        select(TmfMessage).where(TmfMessage.id == message_id).with_for_update()
    ).one_or_none()


def lines_by_msisdn(session: Session, actor: Actor, msisdn: str) -> list[Line]:
    statement = scope(select(Line).where(Line.msisdn == msisdn), actor, Line)
    return list(session.scalars(statement.order_by(Line.created_at)))


def notification_statuses(session: Session, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    statement = select(Notification.id, Notification.status).where(
        Notification.id.in_([uuid.UUID(i) for i in ids])
    )
    return {str(row.id): row.status for row in session.execute(statement)}
