"""Erasing a subscriber from every copy simexit keeps, and erasure on request.

What one erasure reaches: the subscriber's name, addresses, push token and identity document
digits; every message sent to one of their addresses (recipient and text); their ended lines'
number, ICCID, IMSI and EID; on their cases the comment, the balance-transfer destination (the
number a remaining balance was paid out to) and the consent text (it names the number); on their
verifications the identity evidence an agent recorded (document type, last digits, note) and the
masked code destination; the account details of their refund destinations; what an agent asked
them for and what they answered (information requests); the files they uploaded (rows deleted
here, the sealed files deleted from the file store by the `attachments.delete_files` job). The ledger and the audit trail stay: they hold ids and
amounts, not names. Each erasure is one `subscriber.erased` audit row with what it reached.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from simexit.attachments import service as attachments
from simexit.audit import service as audit
from simexit.errors import NotFound
from simexit.jobs import enqueue
from simexit.lines import repository as line_repository
from simexit.models import Case, ErasureRequest, InformationRequest, Subscriber, Verification
from simexit.notifications import service as notifications
from simexit.policies.pack import Pack
from simexit.principals import SYSTEM, Actor
from simexit.privacy.errors import LinesStillActive
from simexit.refunds import repository as refund_repository

log = structlog.get_logger()

ERASE_JOB = "privacy.erase_on_request"


def erase_subscriber(
    session: Session,
    subscriber: Subscriber,
    *,
    now: datetime,
    actor: Actor = SYSTEM,
    reason: dict[str, Any],
) -> dict[str, int]:
    """Erase every copy of one subscriber's personal data; returns how many of each it reached."""
    operator_id = subscriber.operator_id
    reached = {
        "messages": notifications.erase_messages_to(
            session, operator_id=operator_id, addresses=line_repository.addresses(subscriber)
        ),
        "lines": line_repository.erase_line_identifiers(session, subscriber_id=subscriber.id),
        "cases": _erase_cases(session, subscriber.id),
        "information_requests": _erase_information(session, subscriber.id),
        "attachments": attachments.erase_of_cases(
            session, _case_ids(session, subscriber.id), now=now
        ),
        "verifications": _erase_verifications(session, subscriber.id),
        "refund_destinations": refund_repository.erase_destinations(session, subscriber.id),
        "payouts_unscheduled": refund_repository.unschedule_payouts_of(session, subscriber.id, now),
    }
    subscriber.full_name = subscriber.email = subscriber.phone_e164 = None
    subscriber.push_token = None
    subscriber.id_document_hash = subscriber.id_document_last4 = None
    subscriber.national_id_hash = None
    subscriber.erased_at = now
    line_repository.forget_contact(session, subscriber.id)
    audit.record(
        session,
        operator_id=operator_id,
        actor=actor,
        action="subscriber.erased",
        subject_type="subscriber",
        subject_id=subscriber.id,
        at=now,
        changes={**reason, **reached},
    )
    return reached


def _erase_cases(session: Session, subscriber_id: uuid.UUID) -> int:
    result = session.execute(
        update(Case)
        .where(Case.subscriber_id == subscriber_id)
        .values(comment=None, transfer_to_msisdn=None, consent_text=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _case_ids(session: Session, subscriber_id: uuid.UUID) -> list[uuid.UUID]:
    return list(session.scalars(select(Case.id).where(Case.subscriber_id == subscriber_id)))


def _erase_information(session: Session, subscriber_id: uuid.UUID) -> int:
    """What an agent asked and what the subscriber answered may name or describe them."""
    cases = select(Case.id).where(Case.subscriber_id == subscriber_id).scalar_subquery()
    result = session.execute(
        update(InformationRequest)
        .where(InformationRequest.case_id.in_(cases))
        .values(message=None, answer_text=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _erase_verifications(session: Session, subscriber_id: uuid.UUID) -> int:
    cases = select(Case.id).where(Case.subscriber_id == subscriber_id).scalar_subquery()
    result = session.execute(
        update(Verification)
        .where(Verification.case_id.in_(cases))
        .values(evidence={}, destination_masked=None)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def request_erasure(
    session: Session,
    *,
    pack: Pack,
    actor: Actor,
    subscriber_id: uuid.UUID,
    today: date,
    now: datetime,
) -> ErasureRequest:
    """Record a request to erase a subscriber, due by the pack's deadline, and queue its job in
    this transaction. Refused while one of their lines still runs (its contract needs the
    contact data: end the line first). A second request while one is pending returns that one."""
    subscriber = session.get(Subscriber, subscriber_id, with_for_update=True)
    if subscriber is None or (
        actor.operator_id is not None and subscriber.operator_id != actor.operator_id
    ):
        raise NotFound("There is no such subscriber.", field="subscriber_id")
    pending = session.scalars(
        select(ErasureRequest).where(
            ErasureRequest.subscriber_id == subscriber.id, ErasureRequest.status == "pending"
        )
    ).first()
    if pending is not None:
        return pending
    if line_repository.subscriber_line_count(session, subscriber.id) > 0:
        raise LinesStillActive(
            "A line of this subscriber still runs: end it before erasing their data.",
            field="subscriber_id",
        )
    request = ErasureRequest(
        id=uuid.uuid4(),
        operator_id=subscriber.operator_id,
        subscriber_id=subscriber.id,
        requested_by=actor.label,
        requested_at=now,
        due_on=pack.erasure_due(today),
        status="pending",
    )
    session.add(request)
    session.flush()  # a second request in this transaction finds this one through SQL
    audit.record(
        session,
        operator_id=subscriber.operator_id,
        actor=actor,
        action="erasure.requested",
        subject_type="subscriber",
        subject_id=subscriber.id,
        at=now,
        changes={"request_id": str(request.id), "due_on": str(request.due_on or "")},
    )
    enqueue(
        session,
        ERASE_JOB,
        now=now,
        dedup_key=f"{ERASE_JOB}:{request.id}",
        operator_id=subscriber.operator_id,
        request_id=str(request.id),
    )
    return request


def carry_out(session: Session, *, request_id: uuid.UUID, now: datetime) -> None:
    """Erase what a pending request asks for (the job); a done request is left alone."""
    request = session.get(ErasureRequest, request_id, with_for_update=True)
    if request is None or request.status != "pending":
        return
    subscriber = session.get(Subscriber, request.subscriber_id, with_for_update=True)
    if subscriber is not None and subscriber.erased_at is None:
        erase_subscriber(
            session,
            subscriber,
            now=now,
            reason={"request_id": str(request.id), "due_on": str(request.due_on or "")},
        )
    request.status, request.done_at = "done", now
    log.info("erasure.done", request_id=str(request.id), late=_late(request, now))


def _late(request: ErasureRequest, now: datetime) -> bool:
    return request.due_on is not None and now.date() > request.due_on
