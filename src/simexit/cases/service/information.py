"""Asking the subscriber for something (a document, a corrected name) and taking the answer.

While a case waits (`information_required`) its SLA clock stops: the scanner of due dates looks
at cases in review only, and the answer moves the SLA due date by the operator days waited (an
audited `case.sla_resumed`). A request whose due date passes unanswered rejects the case with
reason `information_not_provided` (`lapse`); the subscriber may send a new request after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.attachments import service as attachments
from simexit.audit import service as audit
from simexit.cases import information, repository
from simexit.cases.context import CaseContext
from simexit.cases.errors import UploadsUnavailable
from simexit.cases.service.common import apply, notify, today_for
from simexit.cases.service.review import require_staff
from simexit.cases.states import CaseStatus, InvalidTransition, Trigger
from simexit.errors import NotFound
from simexit.models import Case, InformationRequest
from simexit.principals import SYSTEM, Actor


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    declared_type: str | None = None  # what the client said; not believed (see attachments.rules)


def open_request(session: Session, case_id: uuid.UUID) -> InformationRequest | None:
    return session.scalars(
        select(InformationRequest)
        .where(InformationRequest.case_id == case_id, InformationRequest.status == "open")
        .order_by(InformationRequest.requested_at.desc())
        .limit(1)
    ).first()


def requests_of(session: Session, case_id: uuid.UUID) -> list[InformationRequest]:
    return list(
        session.scalars(
            select(InformationRequest)
            .where(InformationRequest.case_id == case_id)
            .order_by(InformationRequest.requested_at)
        )
    )


def request_information(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    kind: str,
    message: str,
    due_date: date,
    now: datetime,
) -> Case:
    case = repository.get_case(session, actor, case_id, for_update=True)
    require_staff(actor, "ask for information on")
    if case.status is not CaseStatus.in_review:  # the state first: its 409 before field rules
        raise InvalidTransition(case.status, Trigger.request_information)
    today = today_for(repository.operator(session, case.operator_id), now)
    information.check_request(kind, due_date, today=today)
    apply(
        session,
        case,
        Trigger.request_information,
        actor=actor,
        now=now,
        changes={"kind": kind, "due_date": due_date.isoformat(), "sla_paused": True},
    )
    session.add(
        InformationRequest(
            operator_id=case.operator_id,
            case_id=case.id,
            kind=kind,
            message=message,
            due_date=due_date,
            status="open",
            requested_at=now,
        )
    )
    notify(
        session,
        case,
        "case.information_required",
        now=now,
        context={"kind": kind, "due_date": due_date.isoformat()},
    )
    return case


def provide_information(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    text: str | None,
    upload: Upload | None,
    now: datetime,
) -> Case:
    """The answer: text, one file, or both. The case goes back to review, its SLA moved on."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    asked = open_request(session, case.id)
    if case.status is not CaseStatus.information_required:
        raise InvalidTransition(case.status, Trigger.provide_information)
    if asked is None:
        raise NotFound("no open information request", field="case_id")
    information.check_answer(text, has_file=upload is not None)
    operator = repository.operator(session, case.operator_id)
    if upload is not None:
        if ctx.files is None:
            raise UploadsUnavailable("this server keeps no uploaded files", field="file")
        attachments.keep(
            session,
            ctx.files,
            secret_key=ctx.secret_key,
            operator_id=case.operator_id,
            case_id=case.id,
            information_request_id=asked.id,
            data=upload.data,
            max_bytes=ctx.attachment_max_bytes,
            now=now,
        )
    waited = information.days_waited(
        today_for(operator, asked.requested_at), today_for(operator, now)
    )
    before = case.sla_due_date
    case.sla_due_date = information.resumed_due_date(before, waited)
    asked.status, asked.answered_at = "answered", now
    asked.answer_text = text.strip() if text and text.strip() else None
    asked.sla_days_waited = waited
    apply(
        session,
        case,
        Trigger.provide_information,
        actor=actor,
        now=now,
        changes={"file": upload is not None, "text": asked.answer_text is not None},
    )
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=actor,
        action="case.sla_resumed",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={
            "sla_due_date": [
                str(before) if before else None,
                str(case.sla_due_date) if case.sla_due_date else None,
            ],
            "days_waited": waited,
        },
    )
    return case


def lapse(session: Session, ctx: CaseContext, *, case_id: uuid.UUID, now: datetime) -> bool:
    """Reject a case whose open request passed its due date unanswered (True if it did)."""
    case = session.get(Case, case_id, with_for_update=True, populate_existing=True)
    if case is None:
        return False
    asked = open_request(session, case.id)
    if asked is None:
        return False
    if case.status is not CaseStatus.information_required:
        asked.status = "closed"  # the case ended otherwise (withdrawn, rejected by an agent)
        return False
    today = today_for(repository.operator(session, case.operator_id), now)
    if not information.lapsed(asked.due_date, today=today):
        return False
    asked.status = "lapsed"
    reason = information.LAPSED_REASON
    apply(
        session,
        case,
        Trigger.information_lapsed,
        actor=SYSTEM,
        now=now,
        changes={"reason": reason, "due_date": asked.due_date.isoformat()},
    )
    case.rejection_reason, case.decided_at, case.closed_at = reason, now, now
    notify(session, case, "case.rejected", now=now, context={"reason": reason, "note": None})
    return True


def overdue_requests(
    session: Session, *, operator_id: uuid.UUID, before: date, limit: int
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(InformationRequest.case_id)
            .where(
                InformationRequest.operator_id == operator_id,
                InformationRequest.status == "open",
                InformationRequest.due_date < before,
            )
            .limit(limit)
        )
    )
