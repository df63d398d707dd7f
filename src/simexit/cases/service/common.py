"""Helpers every case use case shares: applying a trigger, deciding with the pack, notifying."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import listeners, repository
from simexit.cases.context import CaseContext
from simexit.cases.states import CaseStatus, Trigger, transition
from simexit.lines import repository as line_repository
from simexit.lines.facts import line_facts
from simexit.models import Case, Line, Operator
from simexit.notifications import service as notifications
from simexit.notifications import webhooks
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER
from simexit.operators.repository import OperatorInfo
from simexit.policies.engine import evaluate
from simexit.policies.model import CaseRequest, Channel, Decision, RequestType, SettlementChoice
from simexit.principals import Actor

log = structlog.get_logger()

# Which webhook event an applied trigger announces to integrators.
WEBHOOK_EVENTS: dict[CaseStatus, str] = {
    CaseStatus.submitted: "case.submitted",
    CaseStatus.blocked: "case.blocked",
    CaseStatus.in_review: "case.in_review",
    CaseStatus.information_required: "case.information_required",
    CaseStatus.approved: "case.approved",
    CaseStatus.rejected: "case.rejected",
    CaseStatus.withdrawn: "case.withdrawn",
    CaseStatus.completed: "case.completed",
    CaseStatus.failed: "case.failed",
}


def today_for(operator: OperatorInfo | Operator, now: datetime) -> date:
    """Dates in packs are the operator's calendar dates, not UTC ones."""
    return now.astimezone(ZoneInfo(operator.timezone)).date()


def apply(
    session: Session,
    case: Case,
    trigger: Trigger,
    *,
    actor: Actor,
    now: datetime,
    note: str | None = None,
    changes: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> CaseStatus:
    previous = case.status
    target = transition(previous, trigger)
    case.status = target
    case.status_changed_at = now
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=actor,
        action=f"case.{trigger.value}",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={"status": [previous.value, target.value], **(changes or {})},
        note=note,
        request_id=request_id,
    )
    event = WEBHOOK_EVENTS.get(target)
    if event is not None and target is not previous:
        webhooks.emit(
            session,
            now=now,
            operator_id=case.operator_id,
            event_type=event,
            data=case_summary(case),
        )
    if target is not previous:
        listeners.changed(session, case, previous, now)
    log.info(
        f"case.{trigger.value}", case_id=str(case.id), reference=case.reference, status=target.value
    )
    return target


def case_summary(case: Case) -> dict[str, Any]:
    """What integrators receive about a case: ids, state and dates, no personal data."""
    return {
        "id": str(case.id),
        "reference": case.reference,
        "line_id": str(case.line_id),
        "type": case.type,
        "status": case.status,
        "effective_date": case.effective_date.isoformat() if case.effective_date else None,
        "sla_due_date": case.sla_due_date.isoformat() if case.sla_due_date else None,
    }


def request_for(case: Case) -> CaseRequest:
    return CaseRequest(
        type=RequestType(case.type),
        channel=Channel(case.channel),
        requested_date=case.requested_date,
        settlement=SettlementChoice(case.settlement) if case.settlement else None,
        transfer_to_msisdn=case.transfer_to_msisdn,
        suspend_until=case.suspend_until,
    )


def decide(
    session: Session, ctx: CaseContext, *, line: Line, request: CaseRequest, today: date
) -> Decision:
    operator = repository.operator(session, line.operator_id)
    pack = ctx.packs.get(operator.policy_pack)
    facts = line_facts(
        line,
        subscriber_sim_count=line_repository.subscriber_line_count(session, line.subscriber_id),
        today=today,
    )
    return evaluate(pack, facts, request, today, strict=ctx.policy_strict)


def money_context(case: Case) -> dict[str, Any]:
    """The amounts of the frozen preview, as the notification templates take them."""
    preview = case.preview
    if preview is None:
        return {
            "currency": None,
            "amount_due_minor": 0,
            "refund_minor": 0,
            "transfer_minor": 0,
            "forfeit_minor": 0,
        }
    return {
        "currency": preview.currency,
        "amount_due_minor": preview.total_due.minor,
        "refund_minor": preview.refund.minor,
        "transfer_minor": preview.transfer.minor,
        "forfeit_minor": preview.forfeit.minor,
    }


# The confirmation channels a pack names that simexit sends itself, with the contact each writes
# to. A letter or the state portal is the operator's to send; other contacts (an app's push
# token) are not confirmation channels a pack speaks of and stay as they are.
_SENT_BY_SIMEXIT = {"sms": PHONE_NUMBER, "email": EMAIL_ADDRESS}


def confirmation_contacts(
    preview: Decision | None, addresses: Mapping[str, str | None]
) -> dict[str, str | None]:
    """The subscriber's addresses a case message may go to: without the e-mail address where the
    pack's confirmation channels leave e-mail out (Russia: SMS and the state portal), and so on."""
    allowed = preview.confirmation_channels if preview is not None else ()
    if not allowed:
        return dict(addresses)
    dropped = {contact for name, contact in _SENT_BY_SIMEXIT.items() if name not in allowed}
    return {kind: address for kind, address in addresses.items() if kind not in dropped}


def notify(
    session: Session, case: Case, kind: str, *, now: datetime, context: dict[str, Any] | None = None
) -> None:
    subscriber = line_repository.contact(session, case.subscriber_id)
    if subscriber.erased or not notifications.reaches(subscriber.addresses):
        # No channel reaches the subscriber (no address left): the case goes on untold, as a
        # submit must not fail for it (the seeded fuzz found a 422 on field `contacts`).
        return
    contacts = confirmation_contacts(case.preview, subscriber.addresses)
    if any(subscriber.addresses.values()) and not any(contacts.values()):
        log.info("case.notice_not_sent", case_id=str(case.id), kind=kind, reason="channels")
        return
    notifications.notify(
        session,
        now=now,
        operator_id=case.operator_id,
        kind=kind,
        subject_id=str(case.id),
        language=case.language,
        contacts=contacts,
        context={
            "reference": case.reference,
            "case_type": case.type,
            "suspend_until": case.suspend_until.isoformat() if case.suspend_until else None,
            **(context or {}),
        },
    )
