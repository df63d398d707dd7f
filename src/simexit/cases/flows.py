"""Executing an approved case: the teardown steps (`cases.teardown`), one exchange at a time.

Each run of the `cases.execute` job is one exchange (`jobs.registry.Exchange`):

1. `plan_step` reads, in a read-only transaction, the first step not done and what its remote
   call needs (`teardown.StepTarget`);
2. `call_step` makes that call with no transaction open, within the adapter's timeout (shorter
   than the job's lease), and turns the peer's refusal into an `Outcome`;
3. `record_step` writes, in one short transaction with the job's done mark, the outcome and the
   step's done mark, the step's own effect on simexit's rows, and the local steps that follow;
   then it queues the job for the next remote step, a retry with back-off, or completes the case.

A step that exhausts its tries fails the case with the step's name and the peer's error; an
agent's retry starts a new execution attempt, which resumes at that step (done steps are
skipped). Remote calls are idempotent by their interfaces, so a crash between the call and the
commit makes the next run repeat the call harmlessly, and the step is recorded once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.cases import repository
from simexit.cases.ports import GatewayError, Gateways
from simexit.cases.service.common import apply, money_context, notify
from simexit.cases.states import CaseStatus, Trigger
from simexit.cases.teardown import (
    Answer,
    Outcome,
    Step,
    StepTarget,
    flags_after,
    next_step,
    steps_for,
)
from simexit.kit.gateway_metrics import gateway_call
from simexit.models import Case, LedgerEntry, Line, TeardownStep
from simexit.operators.repository import operator_info
from simexit.principals import SYSTEM

log = structlog.get_logger()

MAX_DETAIL = 500


@dataclass(frozen=True, slots=True)
class StepPlan:
    """The next step of one execution attempt (`case.attempts`) and its target. `step` None:
    every step is done; `blocked` set: the case must fail without calling anyone."""

    case_id: uuid.UUID
    operator_id: uuid.UUID
    execution: int
    step: str | None
    target: StepTarget
    step_try: int = 1
    blocked: str | None = None


ExecutionStatus = Literal["completed", "failed", "retry", "next", "skipped"]


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """`next_step` is the step the caller queues a run for: the next remote step ("next") or the
    one that failed and has tries left ("retry", `step_try` the try it failed on)."""

    status: ExecutionStatus
    next_step: str | None = None
    step_try: int = 0


def plan_step(session: Session, *, case_id: uuid.UUID, step_try: int = 1) -> StepPlan | None:
    """Read-only: what the next run must call, or None when the case is not executing."""
    case = session.get(Case, case_id)
    if case is None or case.status != CaseStatus.executing:
        log.info("case.execute.skipped", case_id=str(case_id), status=case and case.status)
        return None
    line = session.get(Line, case.line_id)
    if line is None:  # lines are never deleted; a missing one is a broken database
        raise RuntimeError(f"case {case.id} points at a missing line")
    target = StepTarget(
        case_id=str(case.id),
        case_type=case.type,
        operator_code=operator_info(session, case.operator_id).code,
        line_ref=str(line.id),
        msisdn=line.msisdn,
        imsi=line.imsi,
        kind=line.kind,
        iccid=line.iccid,
        eid=line.eid,
        smdp_order_id=line.smdp_order_id,
        esim_profile_state=line.esim_profile_state,
        billing_end=case.billing_end_date,
        flags_after=tuple(sorted(flags_after(case.type, set(line.suspension_flags or [])))),
    )
    blocked = None
    if case.type == "terminate" and line.port_pending:
        # The port started after approval: ending the line now would lose the subscriber's number.
        blocked = "port_pending: a port-out started for this number; the port ends the line"
    elif case.type == "port_out" and repository.completed_port_of_case(session, case.id) is None:
        # Only the recipient's completed port moves the number: ending the line without one
        # would leave the subscriber with no number at all.
        blocked = "port_not_completed: no completed port-out of this number; the line stays"
    step = next_step(case.type, _done(session, case.id))
    return StepPlan(
        case_id=case.id,
        operator_id=case.operator_id,
        execution=case.attempts,
        step=step.name if step else None,
        target=target,
        step_try=step_try,
        blocked=blocked,
    )


def call_step(plan: StepPlan, gateways: Gateways) -> Outcome | None:
    """The step's remote call, with no transaction open. Never raises for the peer's failures."""
    if plan.blocked is not None or plan.step is None:
        return None
    step = _step(plan.target.case_type, plan.step)
    if step.remote is None or step.operation is None:
        return Outcome.succeeded()
    port, _, operation = step.operation.partition(".")
    try:
        with gateway_call(gateway=port, adapter=getattr(gateways, port), operation=operation):
            answer = step.remote(gateways, plan.target)
    except GatewayError as error:
        return Outcome.failed(str(error) or type(error).__name__, retryable=error.retryable)
    except (OSError, TimeoutError) as error:  # an adapter that let a socket error through
        return Outcome.failed(f"{type(error).__name__}: {error}", retryable=True)
    if isinstance(answer, Answer):
        return Outcome.succeeded(answer.text, data=answer.data)
    return Outcome.succeeded(answer)


def record_step(
    session: Session,
    *,
    plan: StepPlan,
    outcome: Outcome | None,
    now: datetime,
    max_attempts: int,
) -> ExecutionOutcome:
    """Write the outcome of `plan`'s call, re-checked under the case's lock."""
    case = session.get(Case, plan.case_id, with_for_update=True, populate_existing=True)
    if case is None or case.status != CaseStatus.executing or case.attempts != plan.execution:
        # Another run finished it, or an agent's retry began a new attempt: nothing to record.
        log.info("case.execute.stale", case_id=str(plan.case_id), step=plan.step)
        return ExecutionOutcome("skipped")
    line = session.get(Line, case.line_id, with_for_update=True, populate_existing=True)
    if line is None:
        raise RuntimeError(f"case {case.id} points at a missing line")
    if plan.blocked is not None:
        fail_case(session, case, now, plan.blocked)
        return ExecutionOutcome("failed")
    records = repository.teardown_rows(session, case.id)
    done = {name for name, r in records.items() if r.status == "done"}
    current = next_step(case.type, done)
    if current is None:
        return _complete(session, case, line, now)
    if plan.step != current.name or outcome is None:
        # A duplicate run (a worker killed after the commit) recorded this step already.
        log.info("case.execute.duplicate", case_id=str(case.id), step=plan.step)
        return ExecutionOutcome("skipped")
    record = records.get(current.name) or _new_record(session, case.id, current.name, now)
    record.attempts += 1
    record.updated_at = now
    if not outcome.ok:
        error = outcome.detail or "failed"
        record.status, record.detail = "failed", error[:MAX_DETAIL]
        session.flush()
        log.warning(
            "case.step_failed",
            case_id=str(case.id),
            step=current.name,
            attempts=record.attempts,
            error=error,
        )
        if outcome.retryable and plan.step_try < max_attempts:
            return ExecutionOutcome("retry", next_step=current.name, step_try=plan.step_try)
        fail_case(session, case, now, f"{current.name}: {error}")
        return ExecutionOutcome("failed", next_step=current.name, step_try=plan.step_try)
    if current.answered is not None:
        current.answered(session, case, line, now, outcome)
    _mark_done(session, case, line, current, record, outcome.detail, now)
    # The steps that follow with nothing to call are recorded in this same transaction.
    while (following := next_step(case.type, done | {current.name})) is not None:
        if following.remote is not None:
            session.flush()
            return ExecutionOutcome("next", next_step=following.name)
        done.add(current.name)
        current = following
        record = records.get(current.name) or _new_record(session, case.id, current.name, now)
        record.attempts += 1
        _mark_done(session, case, line, current, record, None, now)
    return _complete(session, case, line, now)


def _mark_done(
    session: Session,
    case: Case,
    line: Line,
    step: Step,
    record: TeardownStep,
    answer: str | None,
    now: datetime,
) -> None:
    if step.local is not None:
        step.local(session, case, line, now)
    record.status, record.detail = "done", None
    record.outcome = (answer or "done")[:MAX_DETAIL]
    record.updated_at = now
    session.flush()
    log.info("case.step_done", case_id=str(case.id), step=step.name, outcome=record.outcome)


def _complete(session: Session, case: Case, line: Line, now: datetime) -> ExecutionOutcome:
    apply(session, case, Trigger.execution_succeeded, actor=SYSTEM, now=now)
    case.completed_at = case.closed_at = now
    notify(
        session,
        case,
        "case.completed",
        now=now,
        context={
            **money_context(case),
            "quarantine_until": line.quarantine_until.isoformat()
            if line.quarantine_until
            else None,
        },
    )
    return ExecutionOutcome("completed")


def _step(case_type: str, name: str) -> Step:
    return next(s for s in steps_for(case_type) if s.name == name)


def _done(session: Session, case_id: uuid.UUID) -> set[str]:
    records = repository.teardown_rows(session, case_id)
    return {name for name, r in records.items() if r.status == "done"}


def _new_record(session: Session, case_id: uuid.UUID, name: str, now: datetime) -> TeardownStep:
    record = TeardownStep(case_id=case_id, step=name, status="pending", attempts=0, updated_at=now)
    session.add(record)
    return record


def fail_case(session: Session, case: Case, now: datetime, reason: str) -> None:
    apply(session, case, Trigger.execution_failed, actor=SYSTEM, now=now, note=reason)
    case.failure_reason = reason
    notify(session, case, "case.failed", now=now, context={"reason": reason})


def ledger_balances(session: Session, case: Case) -> bool:
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.case_id == case.id)).all()
    totals: dict[str, int] = {}
    for entry in entries:
        totals[entry.currency] = totals.get(entry.currency, 0) + entry.amount_minor
    return all(v == 0 for v in totals.values())


__all__ = [
    "ExecutionOutcome",
    "StepPlan",
    "call_step",
    "fail_case",
    "ledger_balances",
    "plan_step",
    "record_step",
]
