"""Cases: open, verify, submit, decide, track. Each POST is one transaction (see `transaction`).

Staff-only actions load the case through the caller's scope first, so a caller who cannot see
the case gets 404 and only one who can see it is told 403.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.access.scopes import may_attest
from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.messages import negotiate
from simexit.api.ratelimit import VerificationConfirmLimit, VerificationStartLimit
from simexit.api.transaction import Reply, Transaction
from simexit.api.v1.paging import CURSOR_PATTERN, decode_cursor, page_of
from simexit.api.v1.schemas import (
    CaseCreate,
    CaseDetail,
    CaseList,
    CaseRead,
    EventList,
    EventRead,
    IdentityAttest,
    NoteCreate,
    PinAnswer,
    RejectCreate,
    ResubmitCreate,
    SubmitCreate,
    TeardownStepRead,
    VerificationConfirm,
    VerificationCreate,
    VerificationRead,
    VerificationResult,
)
from simexit.api.validators import BoundedDate
from simexit.audit import service as audit
from simexit.cases import repository, teardown
from simexit.cases import service as case_service
from simexit.cases.service import VerificationOutcome
from simexit.cases.states import (
    AGENT_TRIGGERS,
    SUBSCRIBER_TRIGGERS,
    CaseStatus,
    Trigger,
    available_triggers,
)
from simexit.models import Case
from simexit.policies.model import RequestType
from simexit.principals import Actor
from simexit.verification.methods import Method

router = APIRouter(prefix="/v1/cases", tags=["cases"])

ACTION_OF_TRIGGER = {
    Trigger.start_verification: "verification",
    Trigger.submit: "submit",
    Trigger.withdraw: "withdraw",
    Trigger.approve: "approve",
    Trigger.reject: "reject",
    Trigger.retry: "retry",
}
RESUBMITTABLE = frozenset({CaseStatus.rejected, CaseStatus.failed})


def actions_for(case: Case, actor: Actor) -> list[str]:
    """The next steps the caller may take: the state machine's, intersected with their role."""
    status = case.status
    allowed = AGENT_TRIGGERS | SUBSCRIBER_TRIGGERS if actor.is_staff else SUBSCRIBER_TRIGGERS
    actions = {
        ACTION_OF_TRIGGER[t] for t in available_triggers(status) & allowed if t in ACTION_OF_TRIGGER
    }
    if status in RESUBMITTABLE:
        actions.add("resubmit")
    if may_attest(actor) and status in {CaseStatus.draft, CaseStatus.awaiting_verification}:
        actions.add("identity")
    return sorted(actions)


def case_reply(case: Case, actor: Actor, status: int = 200) -> Reply:
    location = f"/v1/cases/{case.id}" if status == 201 else None
    return Reply(CaseRead.of(case, actions_for(case, actor)), status, location)


# --- reads ----------------------------------------------------------------------------------


@router.get("", name="list_cases", response_model=CaseList, responses=responses(401, 422))
def list_cases(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    status: Annotated[
        list[CaseStatus] | None, Query(description="Repeat to match several.")
    ] = None,
    type: RequestType | None = None,
    line_id: uuid.UUID | None = None,
    due_before: BoundedDate | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The `next_cursor` of the page before.",
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> CaseList:
    """Newest first. Follow `next` (or pass `next_cursor`) for the following page."""
    after = decode_cursor(cursor) if cursor else None
    cases = repository.list_cases(
        session,
        actor,
        statuses=[s.value for s in status or []],
        case_type=type.value if type else None,
        line_id=line_id,
        due_before=due_before,
        after=after,
        limit=limit + 1,
    )
    page, next_cursor, next_url = page_of(request, cases, limit)
    return CaseList(
        items=[CaseRead.of(c, actions_for(c, actor)) for c in page],
        next_cursor=next_cursor,
        next=next_url,
    )


@router.get(
    "/{case_id}", name="get_case", response_model=CaseDetail, responses=responses(401, 404, 422)
)
def get_case(case_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> CaseDetail:
    """The case, with its teardown steps and their state."""
    case = repository.get_case(session, actor, case_id)
    steps = teardown.progress(case.type, repository.teardown_records(session, case.id))
    return CaseDetail(
        **CaseRead.of(case, actions_for(case, actor)).model_dump(),
        teardown_steps=[TeardownStepRead.of(s) for s in steps],
    )


@router.get(
    "/{case_id}/events",
    name="list_case_events",
    response_model=EventList,
    responses=responses(401, 404, 422),
)
def list_case_events(case_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> EventList:
    """The case's audit trail, oldest first."""
    case = repository.get_case(session, actor, case_id)
    return EventList(
        items=[
            EventRead.of(e)
            for e in audit.events_for(session, subject_type="case", subject_id=case.id)
        ]
    )


# --- intake ---------------------------------------------------------------------------------


@router.post(
    "",
    name="open_case",
    status_code=201,
    response_model=CaseRead,
    responses={
        200: {
            "model": CaseRead,
            "description": "The open case of this line and type already existed.",
        },
        **responses(401, 404, 409, 422),
    },
)
async def open_case(body: CaseCreate, call: TransactionDep) -> JSONResponse:
    """Open a case (a draft). The same line and type with a case still open returns that case."""

    def effect(session: Session, now: datetime) -> Reply:
        result = case_service.open_case(
            session,
            call.runtime.cases,
            actor=call.actor,
            line_id=body.line_id,
            case_type=body.type,
            channel=body.channel,
            now=now,
            reason_code=body.reason,
            comment=body.comment,
            requested_date=body.requested_date,
            settlement=body.settlement,
            transfer_to_msisdn=body.transfer_to_msisdn,
            suspend_until=body.suspend_until,
            idempotency_key=call.idempotency_key,
            language=_language(call),
        )
        return case_reply(result.case, call.actor, 201 if result.created else 200)

    return await call.respond(effect)


def _language(call: Transaction) -> str | None:
    """The case's language: the caller's Accept-Language, else the subscriber's own."""
    header = call.request.headers.get("accept-language")
    return negotiate(header) if header else None


@router.post(
    "/{case_id}/verification",
    name="start_verification",
    status_code=201,
    response_model=VerificationRead,
    dependencies=[VerificationStartLimit],
    responses=responses(401, 404, 409, 422, 429),
)
async def start_verification(
    case_id: uuid.UUID, body: VerificationCreate, call: TransactionDep
) -> JSONResponse:
    """Send a one-time code to the subscriber by SMS or e-mail; an earlier code stops working."""

    def effect(session: Session, now: datetime) -> Reply:
        issued = case_service.start_verification(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            method=Method(body.method),
            now=now,
        )
        return Reply(VerificationRead.of(issued.verification), 201)

    return await call.respond(effect)


CONFIRM_PROBLEMS = {
    VerificationOutcome.wrong_code: ("verification_code_wrong", 422),
    VerificationOutcome.locked: ("verification_locked", 423),
    VerificationOutcome.expired: ("verification_expired", 410),
}


@router.post(
    "/{case_id}/verification/confirm",
    name="confirm_verification",
    response_model=VerificationResult,
    dependencies=[VerificationConfirmLimit],
    responses=responses(401, 404, 409, 410, 422, 423, 429),
)
async def confirm_verification(
    case_id: uuid.UUID, body: VerificationConfirm, call: TransactionDep
) -> JSONResponse:
    """Answer the code. A wrong code is counted (and committed) before the 422 goes back."""

    def effect(session: Session, now: datetime) -> Reply:
        result = case_service.confirm_verification(
            session, call.runtime.cases, actor=call.actor, case_id=case_id, code=body.code, now=now
        )
        if result.outcome is VerificationOutcome.passed:
            case = repository.get_case(session, call.actor, case_id)
            return Reply(
                VerificationResult(
                    outcome="passed", case=CaseRead.of(case, actions_for(case, call.actor))
                )
            )
        code, status = CONFIRM_PROBLEMS[result.outcome]
        return call.problem(
            code=code, status=status, field="code", attempts_left=result.attempts_left
        )

    return await call.respond(effect)


PIN_PROBLEMS = {
    VerificationOutcome.wrong_code: ("pin_wrong", 422),
    VerificationOutcome.locked: ("pin_locked", 423),
}


@router.post(
    "/{case_id}/identity/pin",
    name="verify_pin",
    response_model=VerificationResult,
    dependencies=[VerificationConfirmLimit],
    responses=responses(401, 404, 409, 422, 423, 429),
)
async def verify_pin(case_id: uuid.UUID, body: PinAnswer, call: TransactionDep) -> JSONResponse:
    """Check the subscriber's account PIN, where the operator's pack accepts one. A wrong PIN is
    counted (and committed) before the 422 goes back; five wrong PINs a day lock it."""

    def effect(session: Session, now: datetime) -> Reply:
        result = case_service.verify_pin(
            session, call.runtime.cases, actor=call.actor, case_id=case_id, pin=body.pin, now=now
        )
        if result.outcome is VerificationOutcome.passed:
            case = repository.get_case(session, call.actor, case_id)
            return Reply(
                VerificationResult(
                    outcome="passed", case=CaseRead.of(case, actions_for(case, call.actor))
                )
            )
        code, status = PIN_PROBLEMS[result.outcome]
        return call.problem(
            code=code, status=status, field="pin", attempts_left=result.attempts_left
        )

    return await call.respond(effect)


@router.post(
    "/{case_id}/identity",
    name="attest_identity",
    status_code=201,
    response_model=VerificationRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def attest_identity(
    case_id: uuid.UUID, body: IdentityAttest, call: TransactionDep
) -> JSONResponse:
    """Staff record an identity check they made themselves (ID document, PIN, eID)."""

    def effect(session: Session, now: datetime) -> Reply:
        verification = case_service.attest_identity(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            method=Method(body.method),
            now=now,
            document_type=body.document_type,
            document_last4=body.document_last4,
            document_number=body.document_number,
            mrz=body.mrz,
            note=body.note,
        )
        return Reply(VerificationRead.of(verification), 201)

    return await call.respond(effect)


@router.post(
    "/{case_id}/submit",
    name="submit_case",
    response_model=CaseRead,
    responses=responses(401, 404, 409, 422),
)
async def submit_case(case_id: uuid.UUID, body: SubmitCreate, call: TransactionDep) -> JSONResponse:
    """Run the operator's rules: blocked, in review with an SLA date, or approved with a date."""

    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.submit(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            now=now,
            consent_text=body.consent,
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)


@router.post(
    "/{case_id}/withdraw",
    name="withdraw_case",
    response_model=CaseRead,
    responses=responses(401, 404, 409, 422),
)
async def withdraw_case(case_id: uuid.UUID, body: NoteCreate, call: TransactionDep) -> JSONResponse:
    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.withdraw(
            session, call.runtime.cases, actor=call.actor, case_id=case_id, now=now, note=body.note
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)


@router.post(
    "/{case_id}/approve",
    name="approve_case",
    response_model=CaseRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def approve_case(case_id: uuid.UUID, body: NoteCreate, call: TransactionDep) -> JSONResponse:
    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.approve(
            session, call.runtime.cases, actor=call.actor, case_id=case_id, now=now, note=body.note
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)


@router.post(
    "/{case_id}/reject",
    name="reject_case",
    response_model=CaseRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def reject_case(case_id: uuid.UUID, body: RejectCreate, call: TransactionDep) -> JSONResponse:
    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.reject(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            reason_code=body.reason,
            now=now,
            note=body.note,
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)


@router.post(
    "/{case_id}/resubmit",
    name="resubmit_case",
    status_code=201,
    response_model=CaseRead,
    responses=responses(401, 404, 409, 422),
)
async def resubmit_case(
    case_id: uuid.UUID, body: ResubmitCreate, call: TransactionDep
) -> JSONResponse:
    """Start a rejected or failed case again, as a new draft linked to it."""

    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.resubmit(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            now=now,
            comment=body.comment,
        )
        return case_reply(case, call.actor, 201)

    return await call.respond(effect)


@router.post(
    "/{case_id}/retry",
    name="retry_case",
    response_model=CaseRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def retry_case(case_id: uuid.UUID, body: NoteCreate, call: TransactionDep) -> JSONResponse:
    """Run a failed teardown again; completed steps are skipped."""

    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.retry(
            session, call.runtime.cases, actor=call.actor, case_id=case_id, now=now, note=body.note
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)
