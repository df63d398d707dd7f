"""Every query for webhook endpoints and their deliveries, within one operator."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simexit.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from simexit.paging import After, newest_first


def get(
    session: Session, operator_id: uuid.UUID, endpoint_id: uuid.UUID, *, for_update: bool
) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.operator_id == operator_id
    )
    if for_update:
        statement = statement.with_for_update()
    found: WebhookEndpoint | None = session.scalars(statement).one_or_none()
    return found


def page(
    session: Session, operator_id: uuid.UUID, *, after: After | None, limit: int
) -> list[WebhookEndpoint]:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.operator_id == operator_id)
    statement = newest_first(
        statement, WebhookEndpoint.created_at, WebhookEndpoint.id, after=after, limit=limit
    )
    return list(session.scalars(statement))


def live_count(session: Session, operator_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(
                WebhookEndpoint.operator_id == operator_id, WebhookEndpoint.disabled_at.is_(None)
            )
        )
        or 0
    )


def deliveries(
    session: Session,
    endpoint: WebhookEndpoint,
    *,
    status: str | None,
    after: After | None,
    limit: int,
) -> list[WebhookDelivery]:
    statement = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.operator_id == endpoint.operator_id,
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    statement = newest_first(
        statement, WebhookDelivery.created_at, WebhookDelivery.id, after=after, limit=limit
    )
    return list(session.scalars(statement))


def delivery(
    session: Session, endpoint: WebhookEndpoint, delivery_id: uuid.UUID, *, for_update: bool
) -> WebhookDelivery | None:
    statement = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id,
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.operator_id == endpoint.operator_id,
    )
    if for_update:
        statement = statement.with_for_update()
    found: WebhookDelivery | None = session.scalars(statement).one_or_none()
    return found


def last_errors(session: Session, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The error of each delivery's latest attempt (None when it succeeded or none was made)."""
    if not delivery_ids:
        return {}
    latest = (
        select(WebhookAttempt.delivery_id, func.max(WebhookAttempt.attempt).label("attempt"))
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .group_by(WebhookAttempt.delivery_id)
        .subquery()
    )
    rows = session.execute(
        select(WebhookAttempt.delivery_id, WebhookAttempt.error).join(
            latest,
            (latest.c.delivery_id == WebhookAttempt.delivery_id)
            & (latest.c.attempt == WebhookAttempt.attempt),
        )
    )
    return {row.delivery_id: row.error for row in rows}
