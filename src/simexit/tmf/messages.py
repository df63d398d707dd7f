"""TMF681 use cases: send an operator's own message to its subscribers through the notification
channels, and delete the message resource. Session first, no commit, an audit row each."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.errors import InvalidInput
from simexit.lines import repository as line_repository
from simexit.models import Line, TmfMessage
from simexit.notifications import service as notifications
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER
from simexit.principals import Actor
from simexit.tmf import communications, events, repository
from simexit.tmf.errors import MessageNotDeletable
from simexit.tmf.rules import MESSAGE_KIND
from simexit.tmf.service import require_api_caller

KIND: Final = MESSAGE_KIND
# TMF681 `messageType` -> the contact kind the notification channels reach.
CONTACT_OF_TYPE: Final = {"sms": PHONE_NUMBER, "email": EMAIL_ADDRESS}


def _receiver_line(session: Session, actor: Actor, receiver: dict[str, Any]) -> Line | None:
    """A receiver is a subscriber of the caller's: by a product (line) id, or a line's number."""
    raw_id = receiver.get("id")
    if isinstance(raw_id, str):
        try:
            found = repository.find_product(session, actor, uuid.UUID(raw_id))
        except ValueError:
            found = None
        if found is not None:
            return found
    phone = receiver.get("phoneNumber")
    if isinstance(phone, str) and phone:
        lines = repository.lines_by_msisdn(session, actor, phone)
        return lines[0] if lines else None
    return None


def send_message(
    session: Session,
    *,
    actor: Actor,
    message_type: str,
    content: str,
    subject: str | None,
    receivers: list[dict[str, Any]],
    document: dict[str, Any],
    now: datetime,
) -> TmfMessage:
    """Queue the message for each receiver that is one of the caller's subscribers, on the
    channel `messageType` names (SMS or email). Receivers simexit cannot place are not sent to,
    and a message that reaches nobody is recorded `failed`, with why (201, as TMF681 allows)."""
    require_api_caller(actor)
    assert actor.operator_id is not None  # noqa: S101 - require_api_caller checked it
    message = TmfMessage(
        id=uuid.uuid4(),
        operator_id=actor.operator_id,
        reseller_id=actor.reseller_id,
        message_type=message_type,
        subject=subject,
        content=content,
        state="initial",
        document=document,
        notification_ids=[],
        created_by=actor.label,
        created_at=now,
    )
    contact_kind = CONTACT_OF_TYPE.get(message_type.lower())
    problems: list[str] = []
    queued: list[str] = []
    if contact_kind is None:
        problems.append(f"messageType {message_type!r} is not sent by simexit (SMS or email)")
    for position, receiver in enumerate(receivers if contact_kind is not None else []):
        if contact_kind is None:  # for the type checker: the loop runs only with a kind
            break
        line = _receiver_line(session, actor, receiver)
        if line is None:
            problems.append(
                f"receiver {position}: not a subscriber of yours (give id or phoneNumber of a line)"
            )
            continue
        contact = line_repository.contact(session, line.subscriber_id)
        address = contact.phone_e164 if contact_kind == PHONE_NUMBER else contact.email
        if contact.erased or not address:
            problems.append(f"receiver {position}: no {contact_kind} on file")
            continue
        try:
            sent = notifications.notify(
                session,
                now=now,
                operator_id=actor.operator_id,
                kind=KIND,
                subject_id=f"{message.id}:{position}",
                language=contact.language,
                contacts={contact_kind: address},
                context={"content": content, "subject": subject},
            )
        except InvalidInput as refused:
            problems.append(f"receiver {position}: {refused.message}")
            continue
        queued += [str(q.id) for q in sent]
    message.notification_ids = queued
    message.state = "inProgress" if queued else "failed"
    message.state_reason = "; ".join(problems) or None
    if not receivers:
        message.state_reason = "no receiver"
    session.add(message)
    session.flush()
    audit.record(
        session,
        operator_id=message.operator_id,
        actor=actor,
        action="tmf_message.created",
        subject_type="tmf_message",
        subject_id=message.id,
        at=now,
        changes={"state": [None, message.state], "notifications": queued},
        note=message.state_reason,
    )
    events.message_created(session, message, now)
    return message


def delete_message(session: Session, *, actor: Actor, message_id: uuid.UUID, now: datetime) -> None:
    """Remove the message resource (TMF681 DELETE). What was already sent stays in the
    notification log, as every message simexit sends does; the audit row keeps the deletion."""
    require_api_caller(actor)
    if communications.sent_by_simexit(session, actor, message_id) is not None:
        raise MessageNotDeletable(
            "simexit sent this message by itself; it stays in the notification log",
            field="id",
        )
    message = repository.get_message(session, actor, message_id, for_update=True)
    audit.record(
        session,
        operator_id=message.operator_id,
        actor=actor,
        action="tmf_message.deleted",
        subject_type="tmf_message",
        subject_id=message.id,
        at=now,
        changes={"state": [message.state, None], "notifications": message.notification_ids},
    )
    session.delete(message)
    session.flush()
