"""Port-out: the recipient operator asks for a number, and completing the port ends the donor line.

A line with a pending port is never terminated by a separate request (the policy engine blocks
that with `port_pending`); completing the port ends it here instead, closes the line's other open
cases, which can no longer apply to a number that left, and starts the teardown of the
`port_out` case that settles the line. A `port_out` case never ends a line by its date: it waits,
approved, for its port's completion (`cases.flows.plan_step` refuses one without it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import repository
from simexit.cases.context import CaseContext
from simexit.cases.service.common import apply, today_for
from simexit.cases.service.execution import begin_execution, enqueue_execution, link_port
from simexit.cases.states import OPEN, CaseStatus, Trigger, available_triggers
from simexit.errors import Conflict, InvalidInput, NotFound
from simexit.lines import repository as line_repository
from simexit.lines.errors import LineNotFound, NotPermitted
from simexit.lines.facts import line_facts
from simexit.lines.states import LineStatus
from simexit.models import Case, Line, PortOut
from simexit.notifications import webhooks
from simexit.operators.repository import OperatorInfo
from simexit.policies.dates import port_completion_dates
from simexit.policies.engine import evaluate
from simexit.policies.model import CaseRequest, Channel, Decision, Outcome, RequestType
from simexit.principals import SYSTEM, Actor

log = structlog.get_logger()


class PortOutNotFound(NotFound):
    code = "port_out_not_found"


class PortOutClosed(Conflict):
    code = "port_out_closed"


class PortCompletedInFuture(InvalidInput):
    code = "port_completed_at_in_future"


class PortCompletedBeforeRequest(InvalidInput):
    code = "port_completed_before_request"


class LineNotActive(Conflict):
    code = "line_not_active"


PORTABLE_STATUSES = frozenset({LineStatus.active, LineStatus.suspended})
# The states of a port_out case that its port's completion carries on from.
_CARRIES_THE_PORT = frozenset({CaseStatus.approved, CaseStatus.executing, CaseStatus.failed})


def _require_operator(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotPermitted("only the operator handles port-outs", field="msisdn")


def _scoped_lines(actor: Actor) -> Any:
    statement = select(Line)
    if actor.operator_id is not None:
        statement = statement.where(Line.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(Line.reseller_id == actor.reseller_id)
    return statement


def request_port_out(
    session: Session,
    *,
    actor: Actor,
    msisdn: str,
    recipient_operator: str,
    now: datetime,
    request_id: str | None = None,
) -> tuple[PortOut, bool]:
    """Returns (port-out, created). A second request for a pending number returns the first."""
    line = session.scalars(
        _scoped_lines(actor)
        .where(Line.msisdn == msisdn, Line.status.in_(sorted(PORTABLE_STATUSES)))
        .with_for_update()
    ).first()
    if line is None:
        raise LineNotFound("no active line has this number", field="msisdn")
    _require_operator(actor)
    pending = session.scalars(
        select(PortOut).where(PortOut.line_id == line.id, PortOut.status == "pending")
    ).first()
    if pending is not None:
        return pending, False
    port_out = PortOut(
        id=uuid.uuid4(),
        operator_id=line.operator_id,
        line_id=line.id,
        recipient_operator=recipient_operator,
        status="pending",
        requested_at=now,
    )
    session.add(port_out)
    line.port_pending = True
    line.updated_at = now
    session.flush()
    # The subscriber's own port-out request, if one is open, is the case this port carries out.
    requested = repository.open_case_for(session, line.id, "port_out")
    if requested is not None:
        link_port(session, port_out, requested, now=now)
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action="line.port_out_requested",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={
            "port_out_id": str(port_out.id),
            "recipient_operator": recipient_operator,
            "port_pending": [False, True],
        },
        request_id=request_id,
    )
    log.info("line.port_out_requested", line_id=str(line.id), port_out_id=str(port_out.id))
    return port_out, True


def get_port_out(
    session: Session, actor: Actor, port_out_id: uuid.UUID, *, for_update: bool = False
) -> PortOut:
    statement = (
        select(PortOut).join(Line, Line.id == PortOut.line_id).where(PortOut.id == port_out_id)
    )
    if actor.operator_id is not None:
        statement = statement.where(PortOut.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(Line.reseller_id == actor.reseller_id)
    if for_update:
        statement = statement.with_for_update(of=PortOut)
    port_out = session.scalars(statement).one_or_none()
    if port_out is None:
        raise PortOutNotFound("no such port-out", field="port_out_id")
    return port_out


@dataclass(frozen=True, slots=True)
class PendingPort:
    """A line's pending port-out as a preview shows it: who takes the number, the case that
    carries it out (if the subscriber asked here), and what completing it will settle."""

    port: PortOut
    case: Case | None
    settlement: Decision


def port_settlement(session: Session, ctx: CaseContext, line: Line, *, on: date) -> Decision:
    """The pack's decision for the port of `line` completing on `on`: the charges and what the
    balance becomes (refund, transfer or forfeit). The pending port is the request itself, so it
    does not block it."""
    operator = repository.operator(session, line.operator_id)
    facts = replace(
        line_facts(
            line,
            subscriber_sim_count=line_repository.subscriber_line_count(session, line.subscriber_id),
            today=on,
        ),
        port_pending=False,
    )
    request = CaseRequest(
        type=RequestType.port_out, channel=Channel.port_in_operator, requested_date=on
    )
    pack = ctx.packs.get(operator.policy_pack)
    return evaluate(pack, facts, request, on, strict=ctx.policy_strict)


def pending_port(
    session: Session, ctx: CaseContext, *, line: Line, now: datetime
) -> PendingPort | None:
    """Read-only: the line's pending port-out and what it will do, or None."""
    if not line.port_pending:
        return None
    found = repository.pending_port_out(session, line.id)
    if found is None:
        return None
    port, case = found
    if case is not None and case.preview is not None and case.status in _CARRIES_THE_PORT:
        settlement = case.preview  # the subscriber's request, as they consented to it
    else:
        today = today_for(repository.operator(session, line.operator_id), now)
        settlement = port_settlement(session, ctx, line, on=today)
    return PendingPort(port, case, settlement)


def complete_port_out(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    port_out_id: uuid.UUID,
    now: datetime,
    completed_at: datetime | None = None,
    request_id: str | None = None,
) -> PortOut:
    """The number now lives at the recipient: release it here, close the line's other cases and
    start the teardown of the `port_out` case that carries the port out.

    That case is the subscriber's approved port-out request when there is one; otherwise one is
    opened approved, with the pack's decision for a port-out frozen as its preview (the
    recipient checked the subscriber's identity). Its teardown (`teardown.STEPS["port_out"]`)
    runs as jobs after this commit: the network and the eSIM profile are released, billing
    closes, the balance settles (refund, transfer or forfeit as the pack says) and the
    subscriber is told, as for a termination. Completing a completed port-out again returns it
    unchanged."""
    port_out = get_port_out(session, actor, port_out_id, for_update=True)
    _require_operator(actor)
    if port_out.status == "completed":
        return port_out
    if port_out.status != "pending":
        raise PortOutClosed(
            f"the port-out is {port_out.status}", field="port_out_id", status=port_out.status
        )
    ported_at = completed_at or now
    if ported_at > now:
        raise PortCompletedInFuture("completed_at must not be in the future", field="completed_at")
    if ported_at < port_out.requested_at:
        raise PortCompletedBeforeRequest(
            "completed_at must not be before the port-out was requested",
            field="completed_at",
            requested_at=port_out.requested_at.isoformat(),
        )
    line = session.scalars(select(Line).where(Line.id == port_out.line_id).with_for_update()).one()
    operator = repository.operator(session, line.operator_id)
    ported_on = today_for(operator, ported_at)
    previous = line.status
    port_out.status = "completed"
    port_out.completed_at = ported_at
    line.port_pending = False
    case = _approved_case(session, port_out)
    closed = _close_open_cases(session, line, port_out, now=now, request_id=request_id, keep=case)
    if case is None:
        case = _open_port_case(session, ctx, line, operator, port_out, ported_on, now=now)
    case.effective_date, case.billing_end_date = port_completion_dates(
        ported_on=ported_on,
        planned_effective=case.effective_date,
        planned_billing_end=case.billing_end_date,
        cycle_day=line.billing_cycle_day,
    )
    link_port(session, port_out, case, now=now)
    line.status = LineStatus.number_released
    line.terminated_on = line.terminated_on or ported_on
    line.number_released_at = now
    line.quarantine_until = None  # the number lives on at the recipient; nothing to quarantine
    line.updated_at = now
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action="line.port_out_completed",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={
            "status": [previous, line.status],
            "port_out_id": str(port_out.id),
            "recipient_operator": port_out.recipient_operator,
            "completed_at": ported_at.isoformat(),
            "case": case.reference,
            "closed_cases": closed,
        },
        request_id=request_id,
    )
    if case.status == CaseStatus.approved:
        begin_execution(session, case, actor=SYSTEM, now=now)
    elif case.status == CaseStatus.failed:  # it tried before the port completed
        apply(session, case, Trigger.retry, actor=SYSTEM, now=now, note="port-out completed")
        enqueue_execution(session, case, now=now)
    webhooks.emit(
        session,
        now=now,
        operator_id=line.operator_id,
        event_type="line.terminated",
        data={
            "line_id": str(line.id),
            "reason": "port_out",
            "port_out_id": str(port_out.id),
            "case_id": str(case.id),
            "status": line.status,
        },
    )
    log.info(
        "line.port_out_completed",
        line_id=str(line.id),
        port_out_id=str(port_out.id),
        case_id=str(case.id),
        closed_cases=len(closed),
    )
    return port_out


def _approved_case(session: Session, port_out: PortOut) -> Case | None:
    """The subscriber's port_out case that the completed port carries out: the one linked to
    the port, or the line's open one, once approved. One still in review (or blocked) cannot
    proceed and is closed with the line's other cases."""
    linked = session.get(Case, port_out.case_id) if port_out.case_id is not None else None
    for found in (linked, repository.open_case_for(session, port_out.line_id, "port_out")):
        if found is None:
            continue
        # Locked, and its state read again under the lock.
        case = session.get(Case, found.id, with_for_update=True, populate_existing=True)
        if case is not None and case.type == "port_out" and case.status in _CARRIES_THE_PORT:
            return case
    return None


def _open_port_case(
    session: Session,
    ctx: CaseContext,
    line: Line,
    operator: OperatorInfo,
    port_out: PortOut,
    ported_on: date,
    *,
    now: datetime,
) -> Case:
    """An approved `port_out` case for a port the recipient completed without a request here:
    the pack's decision for a port-out on that day decides the money (charges, refund,
    transfer, forfeit). Its blockers cannot stop a port that happened; they are recorded."""
    decided = port_settlement(session, ctx, line, on=ported_on)
    effective, billing_end = port_completion_dates(
        ported_on=ported_on,
        planned_effective=decided.effective_date,
        planned_billing_end=decided.billing_end_date,
        cycle_day=line.billing_cycle_day,
    )
    # What the case shows and settles: the money of the decision, on the port's dates, with
    # nothing left to stop it (what would have is in the audit row).
    decision = replace(
        decided,
        outcome=Outcome.approve,
        effective_date=effective,
        billing_end_date=billing_end,
        blockers=(),
        review_reasons=(),
    )
    subscriber = line_repository.contact(session, line.subscriber_id)
    number = repository.next_reference_number(session, operator.id, ported_on.year)
    case = Case(
        id=uuid.uuid4(),
        operator_id=operator.id,
        line_id=line.id,
        subscriber_id=line.subscriber_id,
        reseller_id=line.reseller_id,
        reference=f"{operator.reference_prefix}-{ported_on.year}-{number:06d}",
        type=RequestType.port_out.value,
        channel=Channel.port_in_operator.value,
        status=CaseStatus.approved,
        requested_date=ported_on,
        preview=decision,
        effective_date=decision.effective_date,
        billing_end_date=decision.billing_end_date,
        blockers=(),
        review_reasons=(),
        language=subscriber.language,
        created_at=now,
        status_changed_at=now,
        submitted_at=now,
        decided_at=now,
    )
    session.add(case)
    session.flush()
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=SYSTEM,
        action="case.opened",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={
            "status": [None, case.status],
            "type": case.type,
            "channel": case.channel,
            "reference": case.reference,
            "port_out_id": str(port_out.id),
            "refund": decision.refund.as_str(),
            "forfeit": decision.forfeit.as_str(),
            "charges": [c.code for c in decision.charges],
            "blockers_not_applied": [b.code for b in decided.blockers],
            "reviews_not_applied": [r.code for r in decided.review_reasons],
        },
        note="opened by the completed port-out",
    )
    return case


def _close_open_cases(
    session: Session,
    line: Line,
    port_out: PortOut,
    *,
    now: datetime,
    request_id: str | None,
    keep: Case | None,
) -> list[str]:
    """Withdraw what can be withdrawn, supersede failed teardowns; an executing case finishes on
    its own (its steps are idempotent and find the line already ended)."""
    cases = session.scalars(
        select(Case)
        .where(Case.line_id == line.id, Case.status.in_([s.value for s in OPEN]))
        .with_for_update()
    ).all()
    closed: list[str] = []
    note = f"number ported out to {port_out.recipient_operator}"
    for case in cases:
        if keep is not None and case.id == keep.id:
            continue
        triggers = available_triggers(case.status)
        trigger = (
            Trigger.withdraw
            if Trigger.withdraw in triggers
            else Trigger.supersede
            if Trigger.supersede in triggers
            else None
        )
        if trigger is None:
            continue
        apply(
            session,
            case,
            trigger,
            actor=SYSTEM,
            now=now,
            note=note,
            changes={"port_out_id": str(port_out.id)},
            request_id=request_id,
        )
        case.closed_at = now
        closed.append(case.reference)
    return closed
