"""Every query provisioning makes, scoped to the caller's operator.

A row of another operator (or outside a reseller's scope) is "not found", never "forbidden".
Lists page by (updated_at, id) ascending: a BSS syncing with `updated_since` reads forward.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from simexit.cases.states import CaseStatus
from simexit.lines.errors import LineNotFound
from simexit.models import Case, Line, Operator, Reseller, Subscriber
from simexit.principals import Actor
from simexit.principals.scoping import scope
from simexit.provisioning.errors import SubscriberNotFound


@dataclass(frozen=True, slots=True)
class LineFilter:
    statuses: tuple[str, ...] = ()
    kind: str | None = None
    plan: str | None = None
    brand: str | None = None
    product_name: str | None = None
    msisdn: str | None = None
    msisdn_prefix: str | None = None
    updated_since: datetime | None = None


Position = tuple[datetime, uuid.UUID]


def operator(session: Session, operator_id: uuid.UUID) -> Operator:
    found = session.get(Operator, operator_id)
    if found is None:  # an actor's operator always exists; a key outlives no operator
        raise LineNotFound("no such operator", field="operator_id")
    return found


def _subscribers(actor: Actor) -> Select[Any]:
    statement = select(Subscriber)
    if actor.operator_id is not None:
        statement = statement.where(Subscriber.operator_id == actor.operator_id)
    if actor.reseller_id is not None:  # a reseller sees the subscribers of the lines it sold
        sold = select(Line.subscriber_id).where(Line.reseller_id == actor.reseller_id)
        statement = statement.where(Subscriber.id.in_(sold))
    if actor.subscriber_id is not None:
        statement = statement.where(Subscriber.id == actor.subscriber_id)
    return statement


def get_subscriber(
    session: Session, actor: Actor, subscriber_id: uuid.UUID, *, for_update: bool = False
) -> Subscriber:
    statement = _subscribers(actor).where(Subscriber.id == subscriber_id)
    found: Subscriber | None = session.scalars(
        statement.with_for_update() if for_update else statement
    ).first()
    if found is None:
        raise SubscriberNotFound("no such subscriber", field="subscriber_id")
    return found


def subscriber_in_scope(
    session: Session, actor: Actor, subscriber_id: uuid.UUID
) -> uuid.UUID | None:
    statement = _subscribers(actor).where(Subscriber.id == subscriber_id)
    found = session.scalars(statement).first()
    return None if found is None else found.id


def subscriber_by_external_id(
    session: Session, actor: Actor, external_id: str, *, for_update: bool = False
) -> Subscriber | None:
    statement = _subscribers(actor).where(Subscriber.external_id == external_id)
    found: Subscriber | None = session.scalars(
        statement.with_for_update() if for_update else statement
    ).first()
    return found


def list_subscribers(
    session: Session,
    actor: Actor,
    *,
    updated_since: datetime | None,
    after: Position | None,
    limit: int,
) -> list[Subscriber]:
    statement = _subscribers(actor)
    # Rows written before provisioning (or by the demo) may have no updated_at yet.
    changed = func.coalesce(Subscriber.updated_at, Subscriber.created_at)
    order = (changed, Subscriber.id)
    if updated_since is not None:
        statement = statement.where(changed >= updated_since)
    if after is not None:
        statement = statement.where(tuple_(*order) > tuple_(*after))
    return list(session.scalars(statement.order_by(*order).limit(limit)))


def line_by_external_id(
    session: Session, actor: Actor, external_id: str, *, for_update: bool = False
) -> Line | None:
    statement = scope(select(Line).where(Line.external_id == external_id), actor, Line)
    return session.scalars(statement.with_for_update() if for_update else statement).first()


def line_with_iccid(
    session: Session, operator_id: uuid.UUID, iccid: str, *, other_than: uuid.UUID | None
) -> uuid.UUID | None:
    """Another line of the operator holding this ICCID (unique per operator), if any."""
    statement = select(Line.id).where(Line.operator_id == operator_id, Line.iccid == iccid)
    if other_than is not None:
        statement = statement.where(Line.id != other_than)
    return session.scalars(statement).first()


def external_id_holder(
    session: Session,
    model: type[Line] | type[Subscriber],
    operator_id: uuid.UUID,
    external_id: str,
    *,
    other_than: uuid.UUID | None,
) -> uuid.UUID | None:
    statement = select(model.id).where(
        model.operator_id == operator_id, model.external_id == external_id
    )
    if other_than is not None:
        statement = statement.where(model.id != other_than)
    return session.scalars(statement).first()


def reseller_exists(session: Session, operator_id: uuid.UUID, reseller_id: uuid.UUID) -> bool:
    statement = select(Reseller.id).where(
        Reseller.id == reseller_id, Reseller.operator_id == operator_id
    )
    return session.scalars(statement).first() is not None


def list_lines(
    session: Session, actor: Actor, query: LineFilter, *, after: Position | None, limit: int
) -> list[Line]:
    statement = scope(select(Line), actor, Line)
    if query.statuses:
        statement = statement.where(Line.status.in_(query.statuses))
    for column, value in (
        (Line.kind, query.kind),
        (Line.plan, query.plan),
        (Line.brand, query.brand),
        (Line.product_name, query.product_name),
        (Line.msisdn, query.msisdn),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if query.msisdn_prefix:
        # A prefix of digits after "+": no LIKE wildcard can be in it (the API checks the form).
        statement = statement.where(Line.msisdn.startswith(query.msisdn_prefix, autoescape=True))
    if query.updated_since is not None:
        statement = statement.where(Line.updated_at >= query.updated_since)
    order = (Line.updated_at, Line.id)
    if after is not None:
        statement = statement.where(tuple_(*order) > tuple_(*after))
    return list(session.scalars(statement.order_by(*order).limit(limit)))


def blocked_cases_of_line(session: Session, line_id: uuid.UUID) -> list[Case]:
    statement = (
        select(Case)
        .where(Case.line_id == line_id, Case.status == CaseStatus.blocked)
        .order_by(Case.created_at)
    )
    return list(session.scalars(statement))
