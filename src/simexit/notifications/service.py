"""Notifying subscribers: write the message now, deliver it from a job, record every attempt.

The service names no channel: it iterates the `ChannelRegistry` this process was given (see
`simexit.notifications.channels`). Each channel that has an address among the subscriber's
contacts gets one row, shaped by the channel, and one delivery job.

At most once per (kind, subject, channel): the row's unique `dedup_key` comes from `dedup_key()`
and the delivery job's key from the row's, so calling `notify` twice, or retrying its job, never
sends a second message. A delivery job that runs again after a crash finds the row `sent` and
stops. The one gap no database can close: a worker killed after a gateway accepted a message and
before the commit sends it again on the next run; the stable message id (the notification's)
lets the gateway or the receiver recognise that duplicate.

Delivery is a job exchange (`jobs.registry.Exchange`): `plan_delivery` reads the message,
`hand_over` gives it to its channel with no transaction open, `record_delivery` writes the
attempt and the new status in the job's transaction.

A kind with an attachment source (`Transports.attachments`: the receipt of a request on the
messages that confirm it) gets its file on the channels that attach (e-mail): the plan reads what
the file needs, the send step makes it just before handing the message over, and nothing of it is
stored. A file that cannot be made never holds the message back: it goes without, and the
attempt's detail in the delivery log says why.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from simexit.errors import InvalidInput
from simexit.i18n import normalize_language
from simexit.jobs.queue import add_jobs
from simexit.jobs.runner import AttemptFailed, short_error
from simexit.models import Notification
from simexit.notifications import listeners, repository
from simexit.notifications.channels import current_transports
from simexit.notifications.ports import (
    Attachment,
    AttachmentDraft,
    ChannelRegistry,
    DeliveryError,
    DeliveryReport,
    Message,
    Shaped,
    Transports,
)
from simexit.notifications.repository import NewNotification
from simexit.notifications.templates import (
    SENSITIVE_KINDS,
    TEMPLATES,
    counted_context,
    render,
    stored_context,
)
from simexit.operators.repository import operator_info
from simexit.verification import codes

log = structlog.get_logger()

DELIVER_JOB = "notifications.deliver"
SINK = "sink"
UNCONFIGURED = "unconfigured"  # the delivery log's transport when this worker lacks the channel
REDACTED_BODY = "[removed after sending]"
FINAL_STATUSES = frozenset({"sent", "delivered", "undeliverable"})
CODE_KIND = "verification.code"  # the one-time code message (one of `SENSITIVE_KINDS`)


@dataclass(frozen=True, slots=True)
class Queued:
    """A notification `notify` queued now or found already queued (or sent)."""

    id: uuid.UUID
    channel: str
    dedup_key: str


def dedup_key(kind: str, subject_id: str, channel: str) -> str:
    """The one definition of "the same notification": one per kind, subject and channel."""
    return f"{kind}:{subject_id}:{channel}"


def reaches(contacts: Mapping[str, str | None], channels: ChannelRegistry | None = None) -> bool:
    """Whether any channel of this process has an address among `contacts`."""
    registry = channels if channels is not None else current_transports().channels
    return bool(registry.reaching(contacts))


def notify(
    session: Session,
    *,
    now: datetime,
    operator_id: uuid.UUID,
    kind: str,
    subject_id: str | uuid.UUID,
    language: str,
    contacts: Mapping[str, str | None],
    context: Mapping[str, Any],
    channels: ChannelRegistry | None = None,
) -> list[Queued]:
    """Queue `kind` about `subject_id` (the case; for verification.code the verification) on
    every channel that has an address among `contacts` (contact kind -> address, the kinds named
    in `notifications.ports`; empty addresses are skipped).
    Returns one entry per channel, in the registry's order, existing ones included when already
    queued or sent. `channels` defaults to the operator's channels in this process (all of the
    process's registry unless the gateways file lists the operator's `channels`).

    A one-time code kind (`SENSITIVE_KINDS`) is stored with `CODE_PLACEHOLDER` where the code
    goes, whatever `context` holds; `hand_over` writes the code in on the way to a transport.

    Rows go in as plain values, all channels in one statement and their jobs in another: nothing
    reads them back as objects in the request that writes them, and building ORM objects for
    them was a good part of what a write request cost."""
    if kind not in TEMPLATES:
        raise InvalidInput(f"There is no notification template '{kind}'.", field="kind")
    registry = (
        channels
        if channels is not None
        else current_transports().channels_for(operator_info(session, operator_id).code)
    )
    reached = registry.reaching(contacts)
    if not reached:
        raise InvalidInput(
            "A notification needs an address one of the channels "
            f"({', '.join(registry.names) or 'none configured'}) can reach.",
            field="contacts",
        )
    language = normalize_language(language) or "en"
    rendered = render(kind, language, stored_context(kind, context))
    counted = render(kind, language, counted_context(kind, context))
    candidates = [
        NewNotification(
            id=uuid.uuid4(),
            operator_id=operator_id,
            kind=kind,
            subject_id=str(subject_id),
            channel=channel.name,
            language=language,
            recipient=address,
            shaped=_shaped(channel.shape(rendered), channel.shape(counted)),
            dedup_key=dedup_key(kind, str(subject_id), channel.name),
            created_at=now,
        )
        for channel, address in reached
    ]
    inserted = repository.insert_new(session, candidates)
    fresh = [row for row in candidates if row.dedup_key in inserted]
    rows = [Queued(row.id, row.channel, row.dedup_key) for row in fresh]
    for row in fresh:
        log.info("notification.queued", notification_id=str(row.id), kind=kind, channel=row.channel)
    if len(fresh) < len(candidates):
        taken = [row.dedup_key for row in candidates if row.dedup_key not in inserted]
        rows.extend(
            Queued(row.id, row.channel, row.dedup_key)
            for row in repository.by_dedup_keys(session, taken)
        )
        rows.sort(key=lambda row: registry.position(row.channel))
    # Each job's key derives from its notification's own unique key, which this transaction has
    # just taken; notifications are never deleted, so no job can hold it yet: no look-up.
    add_jobs(
        session,
        DELIVER_JOB,
        now=now,
        operator_id=operator_id,
        jobs=[
            (f"{DELIVER_JOB}:{row.dedup_key}", {"notification_id": str(row.id)}) for row in fresh
        ],
    )
    return rows


def _shaped(stored: Shaped, counted: Shaped) -> Shaped:
    """The stored text (a code kind's with its placeholder), counted as it will be sent."""
    return replace(stored, encoding=counted.encoding, segments=counted.segments)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver a notification: the stored message and the channel that sends it."""

    channel: str
    message: Message
    # The files to make on the way to the transport (read in the plan; made by `hand_over`).
    drafts: tuple[AttachmentDraft, ...] = ()

    @property
    def notification_id(self) -> uuid.UUID:
        return self.message.notification_id


@dataclass(frozen=True, slots=True)
class Handover:
    """What happened when a delivery was handed to its transport (or kept in the sink)."""

    transport: str
    error: str | None = None
    detail: str | None = None
    duration_ms: int | None = None


def plan_delivery(
    session: Session,
    *,
    notification_id: uuid.UUID,
    now: datetime,
    transports: Transports | None = None,
) -> Delivery | None:
    """The message to send now, or None when there is nothing to send (missing, or final), with
    what its attachments need when its kind has some on its channel in this process."""
    notification = repository.get(session, notification_id)
    bound = log.bind(notification_id=str(notification_id))
    if notification is None:
        bound.warning("notification.deliver.skipped", reason="missing")
        return None
    if notification.status in FINAL_STATUSES:
        bound.info("notification.deliver.skipped", reason=notification.status)
        return None
    message = _message(notification)
    return Delivery(
        notification.channel,
        message,
        _drafts(session, message, notification.channel, now, transports or current_transports()),
    )


def _drafts(
    session: Session, message: Message, channel_name: str, now: datetime, transports: Transports
) -> tuple[AttachmentDraft, ...]:
    source = transports.attachments.get(message.kind)
    channel = transports.channels.get(channel_name)
    if source is None or channel is None or not channel.attaches or channel.transport is None:
        return ()  # the local sink shows the text to staff; it makes no files
    try:
        draft = source.draft(session, message, now=now)
    except Exception as error:  # a file is a courtesy: never the reason a message stays unsent
        return (_Unreadable(short_error(error)),)
    return (draft,) if draft is not None else ()


class AttachmentUnreadable(Exception):
    """What an attachment needs could not be read in the delivery plan."""


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A draft whose reading failed: it fails again when made, so the delivery log says so."""

    error: str

    def render(self) -> Attachment:
        raise AttachmentUnreadable(self.error)


def hand_over(delivery: Delivery, transports: Transports) -> Handover:
    """Give the message to its channel; no database. A refusal is the outcome, not an error."""
    channel = transports.channels.get(delivery.channel)
    if channel is None:
        # Queued by a process that has this channel; this worker lacks it: fail and retry.
        return Handover(
            UNCONFIGURED, error=f"no '{delivery.channel}' channel is configured in this worker"
        )
    transport = channel.transport
    if transport is None:
        return Handover(SINK)  # a code stays a placeholder: the sink shows the message to staff
    message = delivery.message
    if message.kind in SENSITIVE_KINDS:
        if transports.code_secret is None:
            return Handover(transport, error="this worker has no secret to write the code in")
        message = _with_code(message, transports.code_secret)
    attachments, missing = _made(delivery)
    if attachments:
        message = replace(message, attachments=attachments)
    started = time.monotonic()
    try:
        receipt = channel.send(message)
    except DeliveryError as error:
        return Handover(transport, error=short_error(str(error)), duration_ms=_since(started))
    detail = "; ".join(part for part in (receipt.detail, missing) if part) or None
    return Handover(transport, detail=detail, duration_ms=_since(started))


def _made(delivery: Delivery) -> tuple[tuple[Attachment, ...], str | None]:
    """The delivery's files, and a line for the delivery log about those that could not be made
    (the message goes without them)."""
    made: list[Attachment] = []
    failed: list[str] = []
    for draft in delivery.drafts:
        try:
            made.append(draft.render())
        except Exception as error:  # no font, say: the message still goes, without the file
            failed.append(short_error(error))
            log.warning(
                "notification.attachment.failed",
                notification_id=str(delivery.notification_id),
                kind=delivery.message.kind,
                error=failed[-1],
            )
    missing = short_error("sent without its attachment: " + "; ".join(failed)) if failed else None
    return tuple(made), missing


def record_delivery(
    session: Session, *, now: datetime, delivery: Delivery | None, handover: Handover | None
) -> None:
    """Write one attempt's outcome; raises `AttemptFailed` (attempt kept) when it failed."""
    if delivery is None or handover is None:
        return  # `plan_delivery` found nothing to send and said why
    notification = repository.get_for_update(session, delivery.notification_id)
    bound = log.bind(notification_id=str(delivery.notification_id))
    if notification is None:
        bound.warning("notification.deliver.skipped", reason="missing")
        return
    outcome = "stored" if handover.transport == SINK else "error" if handover.error else "sent"
    notification.attempts += 1
    repository.add_delivery_event(
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
        listeners.status_changed(session, notification, now)
        raise AttemptFailed(handover.error)
    notification.status, notification.transport, notification.sent_at = (
        "sent",
        handover.transport,
        now,
    )
    notification.last_error = None
    listeners.status_changed(session, notification, now)
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


def _with_code(message: Message, secret: bytes) -> Message:
    """The message as the subscriber gets it: the code written into its placeholder, in memory
    only, on its way to the transport."""
    code = codes.derive_code(secret, message.subject_id)
    html = codes.reveal(message.html, code) if message.html is not None else None
    return replace(message, text=codes.reveal(message.text, code), html=html)


def _message(notification: Notification) -> Message:
    return Message(
        notification_id=notification.id,
        kind=notification.kind,
        recipient=notification.recipient,
        subject=notification.subject,
        text=notification.body_text,
        html=notification.body_html,
        language=notification.language,
        created_at=notification.created_at,
        subject_id=notification.subject_id,
    )


def mark_dead(session: Session, *, notification_id: str, error: str, now: datetime) -> None:
    """The delivery job gave up: say so on the notification (the job's `on_dead` hook)."""
    notification = repository.get_for_update(session, uuid.UUID(notification_id))
    if notification is not None and notification.status not in FINAL_STATUSES:
        notification.status, notification.last_error = "dead", error
        log.error("notification.dead", notification_id=notification_id, error=error)
        listeners.status_changed(session, notification, now)


def apply_delivery_report(
    session: Session,
    *,
    now: datetime,
    delivery_id: str | uuid.UUID,
    channel: str,
    report: DeliveryReport,
) -> Notification | None:
    """Apply a gateway's delivery report (read from its own format by its adapter) to a
    notification of `channel`. Returns None for an unknown id or another channel's message.

    Reports only move a message forward: a late "accepted" never undoes "delivered".
    """
    try:
        notification_uuid = (
            delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
        )
    except ValueError:
        raise InvalidInput("The delivery report has a malformed id.", field="delivery_id") from None
    notification = repository.get_for_update(session, notification_uuid)
    if notification is None or notification.channel != channel:
        return None
    repository.add_delivery_event(
        session,
        notification,
        now=now,
        event="report",
        transport=notification.transport or report.transport,
        outcome=report.outcome,
        detail=short_error(report.detail) if report.detail else None,
    )
    if notification.status == "delivered":
        return notification
    if report.settles == "delivered":
        notification.status, notification.delivered_at = "delivered", now
    elif report.settles == "undeliverable":
        notification.status, notification.last_error = (
            "undeliverable",
            f"delivery report: {report.outcome}",
        )
    if notification.status in {"delivered", "undeliverable"}:
        listeners.status_changed(session, notification, now)
    log.info(
        "notification.delivery_report", notification_id=str(notification.id), outcome=report.outcome
    )
    return notification


def list_sink_messages(
    session: Session, *, operator_id: uuid.UUID, limit: int = 50
) -> list[Notification]:
    """Messages kept by the local sink (channels with no transport configured), newest first."""
    return repository.sink_messages(session, operator_id=operator_id, transport=SINK, limit=limit)


def code_kept_in_sink(
    session: Session,
    *,
    subject_id: str | uuid.UUID,
    secret: bytes,
    channels: ChannelRegistry | None = None,
) -> str | None:
    """The one-time code of challenge `subject_id` when no message of it can reach anyone: each
    went, or goes, to a channel with no transport (the local sink of development, and of operators
    marked sandbox: production refuses to start with a sink for any other operator). The portal
    shows it to whoever asked for it, who could not get it otherwise. None in every other case,
    and never read from a stored message: the stored text holds only a placeholder."""
    registry = channels if channels is not None else current_transports().channels
    found = repository.channels_of(session, kind=CODE_KIND, subject_id=str(subject_id))

    def to_sink(channel: str, transport: str | None) -> bool:
        if transport is not None:
            return transport == SINK
        registered = registry.get(channel)
        return registered is not None and registered.transport is None

    if not found or not all(to_sink(channel, transport) for channel, transport in found):
        return None
    return codes.derive_code(secret, str(subject_id))


def erase_messages_to(
    session: Session, *, operator_id: uuid.UUID, addresses: Mapping[str, str | None]
) -> int:
    """Erase a subscriber's copies in the message log: every message sent to one of their
    addresses loses its recipient and its text. Returns how many messages were blanked."""
    recipients = sorted({value for value in addresses.values() if value})
    return repository.erase_messages_to(session, operator_id=operator_id, recipients=recipients)
