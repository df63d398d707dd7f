"""Notifying subscribers: write the message now, deliver it from a job, record every attempt.

At most once per (kind, subject, channel): the row's unique `dedup_key` comes from `dedup_key()`
and the delivery job's key from the row's, so calling `notify` twice, or retrying its job, never
sends a second message. A delivery job that runs again after a crash finds the row `sent` and
stops. The one gap no database can close: a worker killed after the SMTP server or Kannel
accepted a message and before the commit sends it again on the next run; the stable Message-ID
lets mail systems recognise that duplicate.

Delivery is a job exchange (`jobs.registry.Exchange`): `plan_delivery` reads the message,
`hand_over` gives it to the transport with no transaction open, `record_delivery` writes the
attempt and the new status in the job's transaction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from simexit.errors import InvalidInput
from simexit.i18n import normalize_language
from simexit.jobs.queue import add_jobs
from simexit.jobs.runner import AttemptFailed, short_error
from simexit.models import Notification, NotificationDelivery
from simexit.notifications import sms_encoding
from simexit.notifications.ports import DeliveryError, OutgoingEmail, OutgoingSms, Transports
from simexit.notifications.templates import SENSITIVE_KINDS, TEMPLATES, render
from simexit.prepared import Prepared

log = structlog.get_logger()

DELIVER_JOB = "notifications.deliver"
CHANNELS = ("email", "sms")
SINK = "sink"
REDACTED_BODY = "[removed after sending]"
FINAL_STATUSES = frozenset({"sent", "delivered", "undeliverable"})


_BY_DEDUP_KEYS = select(Notification.id, Notification.channel, Notification.dedup_key).where(
    Notification.dedup_key.in_(bindparam("keys", expanding=True))
)


@dataclass(frozen=True, slots=True)
class Queued:
    """A notification `notify` queued now or found already queued (or sent)."""

    id: uuid.UUID
    channel: str
    dedup_key: str


def dedup_key(kind: str, subject_id: str, channel: str) -> str:
    """The one definition of "the same notification": one per kind, subject and channel."""
    return f"{kind}:{subject_id}:{channel}"


def notify(
    session: Session,
    *,
    now: datetime,
    operator_id: uuid.UUID,
    kind: str,
    subject_id: str | uuid.UUID,
    language: str,
    email: str | None = None,
    phone: str | None = None,
    context: Mapping[str, Any],
) -> list[Queued]:
    """Queue `kind` about `subject_id` (the case; for verification.code the verification) by
    e-mail and/or SMS. Returns one entry per channel, existing ones included when already queued
    or sent.

    Rows go in as plain values, all channels in one statement and their jobs in another: nothing
    reads them back as objects in the request that writes them, and building ORM objects for
    them was a good part of what a write request cost."""
    if kind not in TEMPLATES:
        raise InvalidInput(f"There is no notification template '{kind}'.", field="kind")
    if not email and not phone:
        raise InvalidInput(
            "A notification needs an e-mail address or a phone number.", field="email"
        )
    language = normalize_language(language) or "en"
    rendered = render(kind, language, context)
    wanted = {
        channel: dedup_key(kind, str(subject_id), channel)
        for channel, recipient in (("email", email), ("sms", phone))
        if recipient
    }
    shape = sms_encoding.shape(rendered.sms) if phone else None
    candidates: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "operator_id": operator_id,
            "kind": kind,
            "subject_id": str(subject_id),
            "channel": channel,
            "language": language,
            "recipient": recipient,
            "subject": rendered.subject if channel == "email" else None,
            "body_text": rendered.text if channel == "email" else rendered.sms,
            "body_html": rendered.html if channel == "email" else None,
            "status": "queued",
            "sms_encoding": shape.encoding.value if shape and channel == "sms" else None,
            "sms_segments": shape.segments if shape and channel == "sms" else None,
            "attempts": 0,
            "dedup_key": wanted[channel],
            "created_at": now,
        }
        for channel, recipient in (("email", email), ("sms", phone))
        if recipient
    ]
    # Insert-or-ignore on the unique key: a row that is already there (queued or sent before,
    # or by a concurrent transaction, which PostgreSQL waits for) is left alone and not
    # returned, so the usual case costs one statement and no look-up or savepoint.
    statement, parameters = _insert_new(session, candidates)
    inserted = set(statement.scalars(session, parameters))
    rows: list[Queued] = []
    fresh: list[dict[str, Any]] = []
    for values in candidates:
        key = values["dedup_key"]
        if key in inserted:
            fresh.append(values)
            rows.append(Queued(values["id"], values["channel"], key))
            log.info(
                "notification.queued",
                notification_id=str(values["id"]),
                kind=kind,
                channel=values["channel"],
            )
    if len(fresh) < len(candidates):
        taken = [v["dedup_key"] for v in candidates if v["dedup_key"] not in inserted]
        rows.extend(
            Queued(row.id, row.channel, row.dedup_key)
            for row in session.connection().execute(_BY_DEDUP_KEYS, {"keys": taken})
        )
        rows.sort(key=lambda row: CHANNELS.index(row.channel))
    # Each job's key derives from its notification's own unique key, which this transaction has
    # just taken; notifications are never deleted, so no job can hold it yet: no look-up.
    add_jobs(
        session,
        DELIVER_JOB,
        now=now,
        jobs=[
            (f"{DELIVER_JOB}:{v['dedup_key']}", {"notification_id": str(v["id"])}) for v in fresh
        ],
    )
    return rows


_INSERT_NEW: dict[tuple[str, int, tuple[str, ...]], Prepared] = {}


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> tuple[Prepared, dict[str, Any]]:
    """One multi-row INSERT of `rows` (all with the same keys) that skips taken keys and returns
    the ones it wrote, and its parameters: row n's values are bound as `<column>_<n>`."""
    dialect = session.get_bind().dialect.name
    names = tuple(rows[0])
    statement = _INSERT_NEW.get((dialect, len(rows), names))
    if statement is None:
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        columns = Notification.__table__.columns
        values = [
            {name: bindparam(f"{name}_{n}", type_=columns[name].type) for name in names}
            for n in range(len(rows))
        ]
        statement = _INSERT_NEW[(dialect, len(rows), names)] = Prepared(
            insert(Notification)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(Notification.dedup_key)
        )
    parameters = {f"{key}_{n}": value for n, row in enumerate(rows) for key, value in row.items()}
    return statement, parameters


def _record(
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


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver a notification: the message as its transport takes it."""

    notification_id: uuid.UUID
    channel: str
    message: OutgoingEmail | OutgoingSms


@dataclass(frozen=True, slots=True)
class Handover:
    """What happened when a delivery was handed to its transport (or kept in the sink)."""

    transport: str
    error: str | None = None
    detail: str | None = None
    duration_ms: int | None = None


def plan_delivery(session: Session, *, notification_id: uuid.UUID) -> Delivery | None:
    """The message to send now, or None when there is nothing to send (missing, or final)."""
    notification = session.get(Notification, notification_id)
    bound = log.bind(notification_id=str(notification_id))
    if notification is None:
        bound.warning("notification.deliver.skipped", reason="missing")
        return None
    if notification.status in FINAL_STATUSES:
        bound.info("notification.deliver.skipped", reason=notification.status)
        return None
    message = _email(notification) if notification.channel == "email" else _sms(notification)
    return Delivery(notification.id, notification.channel, message)


def hand_over(delivery: Delivery, transports: Transports) -> Handover:
    """Give the message to its transport; no database. A refusal is the outcome, not an error."""
    message = delivery.message
    started = time.monotonic()
    transport = SINK
    try:
        if isinstance(message, OutgoingEmail):
            if transports.email is None:
                return Handover(SINK)
            transport = transports.email.name
            receipt = transports.email.send(message)
        else:
            if transports.sms is None:
                return Handover(SINK)
            transport = transports.sms.name
            receipt = transports.sms.send(message)
    except DeliveryError as error:
        return Handover(transport, error=short_error(str(error)), duration_ms=_since(started))
    return Handover(transport, detail=receipt.detail, duration_ms=_since(started))


def record_delivery(
    session: Session, *, now: datetime, delivery: Delivery | None, handover: Handover | None
) -> None:
    """Write one attempt's outcome; raises `AttemptFailed` (attempt kept) when it failed."""
    if delivery is None or handover is None:
        return  # `plan_delivery` found nothing to send and said why
    notification = session.get(Notification, delivery.notification_id, with_for_update=True)
    bound = log.bind(notification_id=str(delivery.notification_id))
    if notification is None:
        bound.warning("notification.deliver.skipped", reason="missing")
        return
    outcome = "stored" if handover.transport == SINK else "error" if handover.error else "sent"
    notification.attempts += 1
    _record(
        session,
        notification,
        now=now,
        event="attempt",
        transport=handover.transport,
        outcome=outcome,
        detail=handover.error or handover.detail,
        duration_ms=handover.duration_ms,
    )
    if notification.status in FINAL_STATUSES:
        # Settled while this attempt was under way (a delivery report, say): keep that status.
        bound.info("notification.deliver.already", status=notification.status)
        return
    if handover.error is not None:
        notification.status, notification.last_error = "failed", handover.error
        bound.warning(
            "notification.deliver.failed", transport=handover.transport, error=handover.error
        )
        raise AttemptFailed(handover.error)
    notification.status, notification.transport, notification.sent_at = (
        "sent",
        handover.transport,
        now,
    )
    notification.last_error = None
    if handover.transport == SINK:
        bound.info("notification.stored_in_sink", channel=notification.channel)
        return
    if notification.kind in SENSITIVE_KINDS:  # the code has reached the subscriber: drop our copy
        notification.body_text, notification.body_html, notification.redacted_at = (
            REDACTED_BODY,
            None,
            now,
        )
    bound.info("notification.sent", transport=handover.transport, channel=notification.channel)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _email(notification: Notification) -> OutgoingEmail:
    return OutgoingEmail(
        message_id=f"<{notification.id}@simexit>",
        to=notification.recipient,
        subject=notification.subject or "",
        text=notification.body_text,
        html=notification.body_html,
        language=notification.language,
        created_at=notification.created_at,
    )


def _sms(notification: Notification) -> OutgoingSms:
    shape = sms_encoding.shape(notification.body_text)
    return OutgoingSms(
        delivery_id=str(notification.id),
        to=notification.recipient,
        text=notification.body_text,
        encoding=shape.encoding,
        segments=shape.segments,
    )


def mark_dead(session: Session, *, notification_id: str, error: str) -> None:
    """The delivery job gave up: say so on the notification (the job's `on_dead` hook)."""
    notification = session.get(Notification, uuid.UUID(notification_id), with_for_update=True)
    if notification is not None and notification.status not in FINAL_STATUSES:
        notification.status, notification.last_error = "dead", error
        log.error("notification.dead", notification_id=notification_id, error=error)


# Kannel's dlr-url %d values: 1 delivered to phone, 2 not delivered to phone, 4 queued on the
# SMSC, 8 accepted by the SMSC, 16 refused by the SMSC.
DLR_OUTCOMES = {
    1: "delivered",
    2: "undeliverable",
    4: "queued_at_smsc",
    8: "accepted_by_smsc",
    16: "refused_by_smsc",
}


def apply_delivery_report(
    session: Session,
    *,
    now: datetime,
    delivery_id: str | uuid.UUID,
    dlr_type: int | str,
    smsc_reply: str | None = None,
) -> Notification | None:
    """Apply one Kannel delivery report (the dlr-url callback). Returns None for an unknown id.

    Reports only move a message forward: a late "accepted by SMSC" never undoes "delivered".
    """
    try:
        notification_uuid = (
            delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
        )
        code = int(dlr_type)
    except ValueError:
        raise InvalidInput(
            "The delivery report has a malformed id or type.", field="delivery_id"
        ) from None
    notification = session.get(Notification, notification_uuid, with_for_update=True)
    if notification is None or notification.channel != "sms":
        return None
    outcome = DLR_OUTCOMES.get(code, f"type_{code}")
    _record(
        session,
        notification,
        now=now,
        event="report",
        transport=notification.transport or "kannel",
        outcome=outcome,
        detail=short_error(smsc_reply) if smsc_reply else None,
    )
    if notification.status == "delivered":
        return notification
    if code == 1:
        notification.status, notification.delivered_at = "delivered", now
    elif code in (2, 16):
        notification.status, notification.last_error = (
            "undeliverable",
            f"delivery report: {outcome}",
        )
    log.info("notification.delivery_report", notification_id=str(notification.id), outcome=outcome)
    return notification


def list_sink_messages(
    session: Session, *, operator_id: uuid.UUID, limit: int = 50
) -> list[Notification]:
    """Messages kept by the local sink (no SMTP host / Kannel URL configured), newest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.operator_id == operator_id, Notification.transport == SINK)
            .order_by(Notification.created_at.desc(), Notification.id)
            .limit(limit)
        )
    )
