"""Job handlers and scheduler scans for cases and lines. Thin: lock, re-check, call a flow.

The schedule lives in the rows (approved cases' effective dates, lines' quarantine ends), so a scan
that runs late or twice does the same thing: each step re-checks the state it finds under lock.
The worker installs the context (packs, and the gateways of each operator) once at start with
`install`; a case runs through the gateways of its own operator.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import charges, flows, network, repository
from simexit.cases.context import CaseContext
from simexit.cases.ports import GatewaysByOperator
from simexit.cases.service import information as information_service
from simexit.cases.service.common import notify, today_for
from simexit.cases.service.execution import begin_execution
from simexit.cases.service.review import expire
from simexit.cases.states import CaseStatus
from simexit.cases.teardown import Outcome
from simexit.jobs import enqueue
from simexit.jobs.registry import Exchange, exchange_job, exponential, job, periodic
from simexit.lines import repository as line_repository
from simexit.lines import service as lines_service
from simexit.lines.states import LineStatus, SuspensionFlag
from simexit.models import Case, Line, Operator
from simexit.operators import clocks as operator_clocks
from simexit.principals import SYSTEM
from simexit.privacy import service as privacy

log = structlog.get_logger()

SCAN_BATCH = 200
# Subscribers erased per query; the scan walks every batch, in id order, in one run.
ERASURE_BATCH = 200
STEP_BACKOFF = exponential(base_seconds=60, cap_seconds=6 * 3600)


@dataclass
class TaskContext:
    cases: CaseContext
    gateways: GatewaysByOperator


_installed: TaskContext | None = None


def install(cases: CaseContext, gateways: GatewaysByOperator) -> None:
    global _installed
    _installed = TaskContext(cases, gateways)


def context() -> TaskContext:
    if _installed is None:
        raise RuntimeError("case tasks need simexit.cases.tasks.install(...) at worker start")
    return _installed


def _fail_on_dead(session: Session, *, now: datetime, error: str, case_id: str, **_: Any) -> None:
    """A job that crashed on every attempt (a bug, not a gateway) still leaves the case visible."""
    case = session.get(Case, uuid.UUID(case_id), with_for_update=True)
    if case is not None and case.status == CaseStatus.executing:
        flows.fail_case(session, case, now, f"internal error: {error}")


def _plan_execution(
    session: Session,
    *,
    now: datetime,  # noqa: ARG001 - every plan is given the job's time; this one needs none
    case_id: str,
    step_try: int = 1,
    **_: Any,  # `step`: the step the run was queued for, for the console's job list only
) -> flows.StepPlan | None:
    return flows.plan_step(session, case_id=uuid.UUID(case_id), step_try=step_try)


def _call_execution(plan: flows.StepPlan) -> Outcome | None:
    gateways = context().gateways.for_operator(plan.target.operator_code)
    return flows.call_step(plan, gateways)


def _record_execution(
    session: Session,
    *,
    now: datetime,
    plan: flows.StepPlan | None,
    result: Outcome | None,
) -> None:
    if plan is None:
        return
    ctx = context()
    outcome = flows.record_step(
        session, plan=plan, outcome=result, now=now, max_attempts=ctx.cases.teardown_max_attempts
    )
    if outcome.status not in {"next", "retry"} or outcome.next_step is None:
        return
    retry = outcome.status == "retry"
    step_try = outcome.step_try + 1 if retry else 1
    enqueue(
        session,
        "cases.execute",
        now=now,
        run_at=now + STEP_BACKOFF.delay(outcome.step_try) if retry else now,
        dedup_key=f"cases.execute:{plan.case_id}:{plan.execution}:{outcome.next_step}:{step_try}",
        operator_id=plan.operator_id,
        case_id=str(plan.case_id),
        step=outcome.next_step,
        step_try=step_try,
    )


# One step per run (see `cases.flows`): the job's own attempts cover crashes of the handler; a
# peer's failures are counted per step and retried by queueing the step again with back-off.
exchange_job(
    "cases.execute",
    Exchange(_plan_execution, _call_execution, _record_execution),
    max_attempts=5,
    on_dead=_fail_on_dead,
)


def _operators(session: Session, only: uuid.UUID | None = None) -> list[Operator]:
    """The operators a scan looks at: `only` (a test clock's advance, at that clock's `now`), or
    every operator not on a test clock (the scheduled run, at the wall clock's)."""
    if only is not None:
        return list(session.scalars(select(Operator).where(Operator.id == only)))
    skipped = operator_clocks.clocked(session)
    return [op for op in session.scalars(select(Operator)) if op.id not in skipped]


@periodic("cases.scan_due", every=timedelta(minutes=1), per_operator=True)
def scan_due(session: Session, *, now: datetime, operator_id: uuid.UUID | None = None) -> None:
    """Approved cases whose effective date has come (in the operator's time zone) start executing."""
    today = {op.id: today_for(op, now) for op in _operators(session, operator_id)}
    for case in repository.cases_due_for_execution(
        session, today_by_operator=today, limit=SCAN_BATCH
    ):
        locked = session.get(Case, case.id, with_for_update=True, populate_existing=True)
        if locked is not None and locked.status == CaseStatus.approved:
            begin_execution(session, locked, actor=SYSTEM, now=now)


@periodic("cases.expire_stale", every=timedelta(minutes=10), per_operator=True)
def expire_stale(session: Session, *, now: datetime, operator_id: uuid.UUID | None = None) -> None:
    ctx = context()
    operators = [op.id for op in _operators(session, operator_id)]
    for case in repository.stale_drafts(
        session, older_than=now - ctx.cases.draft_ttl, limit=SCAN_BATCH, operator_ids=operators
    ):
        expire(session, ctx.cases, actor=SYSTEM, case_id=case.id, now=now)


@periodic("cases.sla_watch", every=timedelta(minutes=15), per_operator=True)
def sla_watch(session: Session, *, now: datetime, operator_id: uuid.UUID | None = None) -> None:
    """A day before the SLA due date agents are alerted; after it the case is escalated, once each."""
    for operator in _operators(session, operator_id):
        today = today_for(operator, now)
        due_soon = session.scalars(
            select(Case)
            .where(
                Case.operator_id == operator.id,
                Case.status.in_([CaseStatus.in_review, CaseStatus.blocked]),
                Case.sla_due_date <= today + timedelta(days=1),
            )
            .limit(SCAN_BATCH)
        )
        for case in due_soon:
            if case.sla_due_date is None:
                continue
            kind = "case.sla_breached" if case.sla_due_date < today else "case.sla_due_soon"
            enqueue(
                session,
                "cases.sla_event",
                now=now,
                dedup_key=f"{kind}:{case.id}",
                operator_id=case.operator_id,
                case_id=str(case.id),
                kind=kind,
            )


@periodic("cases.information_lapse", every=timedelta(minutes=15), per_operator=True)
def information_lapse(
    session: Session, *, now: datetime, operator_id: uuid.UUID | None = None
) -> None:
    """Cases whose information request passed its due date unanswered are rejected."""
    ctx = context()
    for operator in _operators(session, operator_id):
        today = today_for(operator, now)
        for case_id in information_service.overdue_requests(
            session, operator_id=operator.id, before=today, limit=SCAN_BATCH
        ):
            information_service.lapse(session, ctx.cases, case_id=case_id, now=now)


@job("cases.sla_event")
def sla_event(session: Session, *, now: datetime, case_id: str, kind: str) -> None:
    case = session.get(Case, uuid.UUID(case_id))
    if case is None or case.status not in {CaseStatus.in_review, CaseStatus.blocked}:
        return
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=SYSTEM,
        action=kind,
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={"sla_due_date": str(case.sla_due_date)},
    )


@periodic("lines.release_numbers", every=timedelta(hours=1), per_operator=True)
def release_numbers(
    session: Session, *, now: datetime, operator_id: uuid.UUID | None = None
) -> None:
    """Quarantine over: the number goes back to the operator's pool."""
    for operator in _operators(session, operator_id):
        today = today_for(operator, now)
        lines = session.scalars(
            select(Line)
            .where(
                Line.operator_id == operator.id,
                Line.status == LineStatus.terminated,
                Line.quarantine_until <= today,
            )
            .limit(SCAN_BATCH)
            .with_for_update()
        )
        for line in lines:
            line.status = LineStatus.number_released
            line.number_released_at = now
            line.updated_at = now
            audit.record(
                session,
                operator_id=line.operator_id,
                actor=SYSTEM,
                action="line.number_released",
                subject_type="line",
                subject_id=line.id,
                at=now,
                changes={"status": ["terminated", "number_released"]},
            )
            # The subscriber leaves the HLR/HSS too: a call of its own, after this commit.
            enqueue(
                session,
                network.REMOVE_JOB,
                now=now,
                dedup_key=f"{network.REMOVE_JOB}:{line.id}",
                operator_id=line.operator_id,
                line_id=str(line.id),
            )


@periodic("lines.resume_due", every=timedelta(hours=1), per_operator=True)
def resume_due(session: Session, *, now: datetime, operator_id: uuid.UUID | None = None) -> None:
    """A voluntary suspension ends on its `suspend_until`: the flag is cleared (which unbars
    the line in the network when no other flag holds it) and the subscriber is told."""
    for operator in _operators(session, operator_id):
        today = today_for(operator, now)
        for line in line_repository.voluntary_suspensions_ending(
            session, operator_id=operator.id, on_or_before=today, limit=SCAN_BATCH
        ):
            until = line.voluntary_until
            case = repository.latest_completed(session, line_id=line.id, case_type="suspend")
            resumed = lines_service.set_suspension_flag(
                session,
                actor=SYSTEM,
                line_id=line.id,
                flag=SuspensionFlag.voluntary,
                active=False,
                now=now,
                note=f"suspend_until {until}",
            )
            resumed.voluntary_until = None
            if case is not None:
                notify(
                    session,
                    case,
                    "line.pause_ended",
                    now=now,
                    context={
                        "msisdn": resumed.msisdn,
                        "suspend_until": until.isoformat() if until else today.isoformat(),
                        "still_barred": bool(resumed.suspension_flags),
                    },
                )


@periodic("lines.sim_return_reminders", every=timedelta(hours=6), per_operator=True)
def sim_return_reminders(
    session: Session, *, now: datetime, operator_id: uuid.UUID | None = None
) -> None:
    """Remind once, a week after termination, when the pack wants the SIM back and it isn't."""
    operators = [op.id for op in _operators(session, operator_id)]
    lines = session.scalars(
        select(Line)
        .where(
            Line.operator_id.in_(operators),
            Line.status.in_([LineStatus.terminated, LineStatus.number_released]),
            Line.sim_return_required.is_(True),
            Line.sim_returned_at.is_(None),
            Line.terminated_on <= (now - timedelta(days=7)).date(),
        )
        .limit(SCAN_BATCH)
    )
    for line in lines:
        case = session.scalars(
            select(Case)
            .where(Case.line_id == line.id, Case.status == CaseStatus.completed)
            .order_by(Case.completed_at.desc())
            .limit(1)
        ).first()
        if case is not None:
            notify(
                session,
                case,
                "case.reminder",
                now=now,
                context={
                    "reminder": "sim_return",
                    "due_date": _sim_return_due(case, line),
                },
            )


@periodic("lines.sim_non_return_fees", every=timedelta(hours=6), per_operator=True)
def sim_non_return_fees(
    session: Session, *, now: datetime, operator_id: uuid.UUID | None = None
) -> None:
    """A SIM still not back after the pack's deadline costs the fee the preview showed (frozen
    on the case): posted once on the termination case's ledger."""
    for operator in _operators(session, operator_id):
        today = today_for(operator, now)
        lines = session.scalars(
            select(Line)
            .where(
                Line.operator_id == operator.id,
                Line.status.in_([LineStatus.terminated, LineStatus.number_released]),
                Line.sim_return_required.is_(True),
                Line.sim_returned_at.is_(None),
            )
            .limit(SCAN_BATCH)
        )
        for line in lines:
            case = repository.latest_completed(session, line_id=line.id, case_type="terminate")
            if case is not None:
                charges.post_sim_non_return_fee(session, case, today=today, now=now)


@periodic("privacy.retention_purge", every=timedelta(hours=24), per_operator=True)
def retention_purge(
    session: Session, *, now: datetime, operator_id: uuid.UUID | None = None
) -> None:
    """Erase the personal data of subscribers whose lines all ended longer ago than the pack keeps
    customer data. The ledger and the audit trail stay: they hold ids and amounts, not names."""
    ctx = context()
    for operator in _operators(session, operator_id):
        days = ctx.cases.packs.get(operator.policy_pack).retention_days("case_records")
        if days is None:
            continue
        cutoff = today_for(operator, now) - timedelta(days=days)
        after: uuid.UUID | None = None
        while batch := line_repository.subscribers_due_for_erasure(
            session,
            operator_id=operator.id,
            ended_on_or_before=cutoff,
            after=after,
            limit=ERASURE_BATCH,
        ):
            after = batch[-1].id
            for subscriber in batch:
                privacy.erase_subscriber(
                    session, subscriber, now=now, reason={"retention_days": days}
                )


def _sim_return_due(case: Case, line: Line) -> str | None:
    deadline = case.preview.sim_return_deadline if case.preview is not None else None
    if deadline is None and line.terminated_on is not None:
        deadline = line.terminated_on + timedelta(days=30)
    return deadline.isoformat() if deadline is not None else None


# --- the network side of a line's own changes (`cases.network`) ---------------------------------


def _plan_network(
    session: Session,
    *,
    now: datetime,  # noqa: ARG001 - every plan is given the job's time; this one needs none
    line_id: str,
    **_: Any,
) -> network.NetworkChange | None:
    return network.plan_sync(session, line_id=uuid.UUID(line_id))


def _plan_removal(
    session: Session,
    *,
    now: datetime,  # noqa: ARG001
    line_id: str,
    **_: Any,
) -> network.NetworkChange | None:
    return network.plan_removal(session, line_id=uuid.UUID(line_id))


def _call_network(change: network.NetworkChange) -> Outcome:
    return network.call(change, context().gateways.for_operator(change.operator_code))


def _record_network(
    session: Session,
    *,
    now: datetime,
    plan: network.NetworkChange | None,
    result: Outcome | None,
) -> None:
    if plan is not None and result is not None:
        network.record(session, change=plan, outcome=result, now=now)


exchange_job(
    network.SYNC_JOB,
    Exchange(_plan_network, _call_network, _record_network),
    max_attempts=10,
    backoff=exponential(base_seconds=30, cap_seconds=3600),
)


def _plan_network_many(
    session: Session,
    *,
    now: datetime,  # noqa: ARG001
    line_ids: list[str],
    **_: Any,
) -> list[network.NetworkChange] | None:
    changes = [network.plan_sync(session, line_id=uuid.UUID(line_id)) for line_id in line_ids]
    found = [change for change in changes if change is not None]
    return found or None


def _call_network_many(changes: list[network.NetworkChange]) -> list[Outcome]:
    return [_call_network(change) for change in changes]


def _record_network_many(
    session: Session,
    *,
    now: datetime,
    plan: list[network.NetworkChange] | None,
    result: list[Outcome] | None,
) -> None:
    """Each line as its own sync records it; a line whose call failed and may succeed later
    gets a job of its own, so a retry repeats that line's call only."""
    if plan is None or result is None:
        return
    for change, outcome in zip(plan, result, strict=True):
        if not outcome.ok and outcome.retryable:
            log.warning("line.network_failed", line_id=str(change.line_id), error=outcome.detail)
            enqueue(
                session,
                network.SYNC_JOB,
                now=now,
                operator_id=change.operator_id,
                line_id=str(change.line_id),
            )
            continue
        network.record(session, change=change, outcome=outcome, now=now)


# A campaign's chunk of lines (`lines.service.set_suspension_flag_many`): one job, not one a line.
exchange_job(
    network.SYNC_MANY_JOB,
    Exchange(_plan_network_many, _call_network_many, _record_network_many),
    max_attempts=10,
    backoff=exponential(base_seconds=30, cap_seconds=3600),
)
exchange_job(
    network.REMOVE_JOB,
    Exchange(_plan_removal, _call_network, _record_network),
    max_attempts=10,
    backoff=exponential(base_seconds=60, cap_seconds=6 * 3600),
)
