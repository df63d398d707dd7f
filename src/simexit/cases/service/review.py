"""Decisions after submission: approve, reject, withdraw, resubmit, retry, expire."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.cases import repository
from simexit.cases.context import CaseContext
from simexit.cases.errors import TooLateToWithdraw
from simexit.cases.service.common import apply, notify, today_for
from simexit.cases.service.execution import enqueue_execution, on_approved
from simexit.cases.service.intake import open_case
from simexit.cases.states import CaseStatus, InvalidTransition, Trigger
from simexit.errors import InvalidInput
from simexit.lines import repository as line_repository
from simexit.lines.errors import NotPermitted
from simexit.lines.states import LineStatus, SuspensionFlag, status_for_flags
from simexit.models import Case
from simexit.policies.model import Channel, RequestType, SettlementChoice
from simexit.principals import Actor, ActorType

REJECTION_REASONS = frozenset(
    {
        "identity_not_confirmed",
        "not_account_holder",
        "unpaid_bills",
        "duplicate_request",
        "fraud_suspected",
        "policy_not_met",
        "other",
    }
)


def require_staff(actor: Actor, action: str) -> None:
    if actor.type in {ActorType.subscriber, ActorType.reseller} or (
        actor.type is ActorType.integrator and actor.reseller_id is not None
    ):
        raise NotPermitted(f"only the operator's staff can {action} a case", field="action")


def approve(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    now: datetime,
    note: str | None = None,
) -> Case:
    case = repository.get_case(session, actor, case_id, for_update=True)
    require_staff(actor, "approve")  # after loading: a caller who cannot see the case gets 404
    apply(session, case, Trigger.approve, actor=actor, now=now, note=note)
    case.decision_note = note
    line = line_repository.get_line(session, actor, case.line_id, for_update=True)
    on_approved(
        session,
        case,
        line,
        actor=actor,
        now=now,
        today=today_for(repository.operator(session, case.operator_id), now),
    )
    return case


def reject(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    reason_code: str,
    now: datetime,
    note: str | None = None,
) -> Case:
    case = repository.get_case(session, actor, case_id, for_update=True)
    require_staff(actor, "reject")
    if reason_code not in REJECTION_REASONS:
        raise InvalidInput(
            f"{reason_code!r} is not one of {', '.join(sorted(REJECTION_REASONS))}", field="reason"
        )
    apply(
        session,
        case,
        Trigger.reject,
        actor=actor,
        now=now,
        note=note,
        changes={"reason": reason_code},
    )
    case.rejection_reason, case.decision_note, case.decided_at, case.closed_at = (
        reason_code,
        note,
        now,
        now,
    )
    notify(session, case, "case.rejected", now=now, context={"reason": reason_code, "note": note})
    return case


def withdraw(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    now: datetime,
    note: str | None = None,
) -> Case:
    """The subscriber changes their mind. An approved case can be withdrawn until its date."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    operator = repository.operator(session, case.operator_id)
    if (
        case.status == CaseStatus.approved
        and case.effective_date is not None
        and case.effective_date <= today_for(operator, now)
    ):
        raise TooLateToWithdraw(
            "the cancellation takes effect today or has started; it can no longer be withdrawn",
            field="status",
            effective_date=case.effective_date.isoformat(),
        )
    was = case.status
    apply(session, case, Trigger.withdraw, actor=actor, now=now, note=note)
    case.closed_at = now
    if was is CaseStatus.approved and case.type == "terminate":
        line = line_repository.get_line(session, actor, case.line_id, for_update=True)
        if line.status == LineStatus.pending_termination:
            flags = {SuspensionFlag(f) for f in line.suspension_flags or []}
            line.status = status_for_flags(LineStatus.active, flags)
            line.updated_at = now
    notify(session, case, "case.withdrawn", now=now)
    return case


def resubmit(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    now: datetime,
    comment: str | None = None,
) -> Case:
    """A rejected or failed case starts again as a new draft linked to it."""

    case = repository.get_case(session, actor, case_id, for_update=True)
    if case.status == CaseStatus.failed:
        apply(session, case, Trigger.supersede, actor=actor, now=now)
        case.closed_at = now
    elif case.status != CaseStatus.rejected:
        raise InvalidTransition(case.status, Trigger.supersede)
    result = open_case(
        session,
        ctx,
        actor=actor,
        line_id=case.line_id,
        case_type=RequestType(case.type),
        channel=Channel(case.channel),
        now=now,
        reason_code=case.reason_code,
        comment=comment or case.comment,
        requested_date=case.requested_date,
        settlement=SettlementChoice(case.settlement) if case.settlement else None,
        transfer_to_msisdn=case.transfer_to_msisdn,
        suspend_until=case.suspend_until,
        language=case.language,
        parent=case,
    )
    return result.case


def retry(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case_id: uuid.UUID,
    now: datetime,
    note: str | None = None,
) -> Case:
    """Operations run a failed teardown again; completed steps are skipped."""
    case = repository.get_case(session, actor, case_id, for_update=True)
    require_staff(actor, "retry")
    apply(session, case, Trigger.retry, actor=actor, now=now, note=note)
    case.failure_reason = None
    enqueue_execution(session, case, now=now)
    return case


def expire(
    session: Session, ctx: CaseContext, *, actor: Actor, case_id: uuid.UUID, now: datetime
) -> Case:
    case = repository.get_case(session, actor, case_id, for_update=True)
    apply(session, case, Trigger.expire, actor=actor, now=now)
    case.closed_at = now
    return case
