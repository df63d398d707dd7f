"""Every query and insert of notifications, their delivery log and webhooks.

The hot ones (the multi-row insert-or-ignore `notify` runs in every state change, the webhook
row) run on the driver (`Prepared`, `append_row`); the service and webhooks modules read as plain
domain code and never see how.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from simexit.appending import append_row
from simexit.models import (
    Notification,
    NotificationDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from simexit.notifications.ports import Shaped
from simexit.prepared import Prepared


@dataclass(frozen=True, slots=True)
class NewNotification:
    """One notification row to queue: one channel's shape of one rendered template."""

    id: uuid.UUID
    operator_id: uuid.UUID
    kind: str
    subject_id: str
    channel: str
    language: str
    recipient: str
    shaped: Shaped
    dedup_key: str
    created_at: datetime

    def values(self) -> dict[str, Any]:
        shaped = self.shaped
        return {
            "id": self.id,
            "operator_id": self.operator_id,
            "kind": self.kind,
            "subject_id": self.subject_id,
            "channel": self.channel,
            "language": self.language,
            "recipient": self.recipient,
            "subject": shaped.subject,
            "body_text": shaped.text,
            "body_html": shaped.html,
            "status": "queued",
            # The columns were named when SMS was the only channel that counts its text.
            "sms_encoding": shaped.encoding,
            "sms_segments": shaped.segments,
            "attempts": 0,
            "dedup_key": self.dedup_key,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class QueuedRow:
    id: uuid.UUID
    channel: str
    dedup_key: str


_INSERT_NEW: dict[tuple[str, int], Prepared] = {}


def insert_new(session: Session, rows: list[NewNotification]) -> set[str]:
    """Insert-or-ignore `rows` on their unique dedup key in one statement; the keys it wrote.

    A row that is already there (queued or sent before, or by a concurrent transaction, which
    PostgreSQL waits for) is left alone and not returned, so the usual case costs one statement
    and no look-up or savepoint. Row n's values are bound as `<column>_<n>`."""
    if not rows:
        return set()
    values = [row.values() for row in rows]
    dialect = session.get_bind().dialect.name
    statement = _INSERT_NEW.get((dialect, len(rows)))
    if statement is None:
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        columns = Notification.__table__.columns
        names = tuple(values[0])
        binds = [
            {name: bindparam(f"{name}_{n}", type_=columns[name].type) for name in names}
            for n in range(len(rows))
        ]
        statement = _INSERT_NEW[(dialect, len(rows))] = Prepared(
            insert(Notification)
            .values(binds)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(Notification.dedup_key)
        )
    parameters = {f"{key}_{n}": value for n, row in enumerate(values) for key, value in row.items()}
    return set(statement.scalars(session, parameters))


_BY_DEDUP_KEYS = select(Notification.id, Notification.channel, Notification.dedup_key).where(
    Notification.dedup_key.in_(bindparam("keys", expanding=True))
)


def by_dedup_keys(session: Session, keys: list[str]) -> list[QueuedRow]:
    return [
        QueuedRow(row.id, row.channel, row.dedup_key)
        for row in session.connection().execute(_BY_DEDUP_KEYS, {"keys": keys})
    ]


def get(session: Session, notification_id: uuid.UUID) -> Notification | None:
    return session.get(Notification, notification_id)


def get_for_update(session: Session, notification_id: uuid.UUID) -> Notification | None:
    return session.get(Notification, notification_id, with_for_update=True)


def add_delivery_event(
    session: Session,
    notification: Notification,
    *,
    now: datetime,
    event: str,
    transport: str,
    outcome: str,
    detail: str | None = None,
    duration_ms: int | None = None,
) -> None:
    session.add(
        NotificationDelivery(
            notification_id=notification.id,
            event=event,
            transport=transport,
            outcome=outcome,
            detail=detail[:500] if detail else None,
            duration_ms=duration_ms,
            created_at=now,
        )
    )


def sink_messages(
    session: Session, *, operator_id: uuid.UUID, transport: str, limit: int
) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.operator_id == operator_id, Notification.transport == transport)
            .order_by(Notification.created_at.desc(), Notification.id)
            .limit(limit)
        )
    )


def channels_of(session: Session, *, kind: str, subject_id: str) -> list[tuple[str, str | None]]:
    """(channel, transport once sent) of every message of `kind` about `subject_id`."""
    statement = select(Notification.channel, Notification.transport).where(
        Notification.kind == kind, Notification.subject_id == subject_id
    )
    return [(channel, transport) for channel, transport in session.execute(statement)]


# Webhooks


def append_webhook(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    """Insert the new delivery row at once, outside the unit of work (`append_row`)."""
    return append_row(session, delivery)


def webhook(session: Session, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def webhook_for_update(session: Session, delivery_id: uuid.UUID) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id, with_for_update=True)


@dataclass(frozen=True, slots=True)
class EndpointTarget:
    id: uuid.UUID
    url: str
    events: tuple[str, ...]


def live_endpoints(session: Session, operator_id: uuid.UUID) -> list[EndpointTarget]:
    """The operator's endpoints that are not disabled, oldest first."""
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.events)
        .where(WebhookEndpoint.operator_id == operator_id, WebhookEndpoint.disabled_at.is_(None))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return [EndpointTarget(i, url, tuple(events or ())) for i, url, events in rows]


def endpoint(session: Session, endpoint_id: uuid.UUID | None) -> WebhookEndpoint | None:
    return None if endpoint_id is None else session.get(WebhookEndpoint, endpoint_id)


def add_webhook_attempt(session: Session, attempt: WebhookAttempt) -> None:
    session.add(attempt)


ERASED = "erased"


def erase_messages_to(session: Session, *, operator_id: uuid.UUID, recipients: list[str]) -> int:
    """Blank the address and the text of every message the operator sent to these recipients;
    the rows stay (kind, channel, times, delivery state) so the trail still adds up."""
    if not recipients:
        return 0
    result = session.execute(
        update(Notification)
        .where(Notification.operator_id == operator_id, Notification.recipient.in_(recipients))
        .values(recipient=ERASED, subject=None, body_text="", body_html=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
