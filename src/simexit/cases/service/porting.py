"""Port-out: the recipient operator asks for a number, and completing the port ends the donor line.

A line with a pending port is never terminated by a separate request (the policy engine blocks
that with `port_out_pending`); completing the port ends it here instead, and closes the line's
open cases, which can no longer apply to a number that left.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import repository
from simexit.cases.service.common import apply, today_for
from simexit.cases.states import OPEN, Trigger, available_triggers
from simexit.errors import Conflict, NotFound
from simexit.lines.errors import LineNotFound, NotPermitted
from simexit.lines.states import LineStatus
from simexit.models import Case, Line, PortOut
from simexit.notifications import webhooks
from simexit.principals import SYSTEM, Actor

log = structlog.get_logger()


class PortOutNotFound(NotFound):
    code = "port_out_not_found"


class PortOutClosed(Conflict):
    code = "port_out_closed"


class LineNotActive(Conflict):
    code = "line_not_active"


PORTABLE_STATUSES = frozenset({LineStatus.active, LineStatus.suspended})


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


def complete_port_out(
    session: Session,
    *,
    actor: Actor,
    port_out_id: uuid.UUID,
    now: datetime,
    completed_at: datetime | None = None,
    request_id: str | None = None,
) -> PortOut:
    """The number now lives at the recipient: release it here, end the line, close its cases.

    Completing a completed port-out again returns it unchanged."""
    port_out = get_port_out(session, actor, port_out_id, for_update=True)
    _require_operator(actor)
    if port_out.status == "completed":
        return port_out
    if port_out.status != "pending":
        raise PortOutClosed(
            f"the port-out is {port_out.status}", field="port_out_id", status=port_out.status
        )
    line = session.scalars(select(Line).where(Line.id == port_out.line_id).with_for_update()).one()
    operator = repository.operator(session, line.operator_id)
    previous = line.status
    port_out.status = "completed"
    port_out.completed_at = completed_at or now
    line.status = LineStatus.number_released
    line.port_pending = False
    line.terminated_on = line.terminated_on or today_for(operator, now)
    line.number_released_at = now
    line.quarantine_until = None  # the number lives on at the recipient; nothing to quarantine
    line.updated_at = now
    closed = _close_open_cases(session, line, port_out, now=now, request_id=request_id)
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
            "closed_cases": closed,
        },
        request_id=request_id,
    )
    webhooks.emit(
        session,
        now=now,
        operator_id=line.operator_id,
        event_type="line.terminated",
        data={
            "line_id": str(line.id),
            "reason": "port_out",
            "port_out_id": str(port_out.id),
            "status": line.status,
        },
    )
    log.info(
        "line.port_out_completed",
        line_id=str(line.id),
        port_out_id=str(port_out.id),
        closed_cases=len(closed),
    )
    return port_out


def _close_open_cases(
    session: Session, line: Line, port_out: PortOut, *, now: datetime, request_id: str | None
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
