"""From approval to execution: the line waits for its effective date, then teardown starts as a job.

Shared by intake (a clean case on an auto-approve pack is approved at submission) and review (an
agent's approval, a retry).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import repository
from simexit.cases.service.common import apply, money_context, notify
from simexit.cases.states import Trigger
from simexit.jobs import enqueue
from simexit.lines.states import LineStatus
from simexit.models import Case, Line, PortOut
from simexit.principals import SYSTEM, Actor


def on_approved(
    session: Session, case: Case, line: Line, *, actor: Actor, now: datetime, today: date
) -> None:
    """Approved: the line waits for its date and the scheduler starts execution on that day."""
    case.decided_at = now
    if case.type == "terminate" and line.status in {
        LineStatus.active,
        LineStatus.suspended,
    }:
        line.status = LineStatus.pending_termination
        line.updated_at = now
    if case.effective_date is None or case.effective_date < today:
        case.effective_date = today
    notify(
        session,
        case,
        "case.approved",
        now=now,
        context={"effective_date": case.effective_date.isoformat(), **money_context(case)},
    )
    if case.type == "port_out":
        # The recipient completes the port (`porting.complete_port_out`), which starts the
        # teardown; a date alone never ends the line.
        pending = repository.pending_port_out(session, line.id)
        if pending is not None:
            link_port(session, pending[0], case, now=now)
        return
    if case.effective_date <= today:
        begin_execution(session, case, actor=actor, now=now)


def link_port(session: Session, port: PortOut, case: Case, *, now: datetime) -> None:
    """The port-out is carried out by `case`: its completion starts that case's teardown."""
    if port.case_id == case.id:
        return
    before = port.case_id
    port.case_id = case.id
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=SYSTEM,
        action="line.port_out_linked",
        subject_type="line",
        subject_id=port.line_id,
        at=now,
        changes={
            "port_out_id": str(port.id),
            "case_id": [str(before) if before else None, str(case.id)],
            "reference": case.reference,
        },
    )


def begin_execution(session: Session, case: Case, *, actor: Actor, now: datetime) -> None:
    apply(session, case, Trigger.execute, actor=actor, now=now)
    case.executing_at = now
    enqueue_execution(session, case, now=now)


def enqueue_execution(session: Session, case: Case, *, now: datetime) -> None:
    """One `cases.execute` job per execution attempt (the first run, then each agent's retry)."""
    case.attempts += 1
    enqueue(
        session,
        "cases.execute",
        now=now,
        dedup_key=f"cases.execute:{case.id}:{case.attempts}",
        operator_id=case.operator_id,
        case_id=str(case.id),
    )
