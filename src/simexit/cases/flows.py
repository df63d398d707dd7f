"""Executing an approved case: the teardown steps, the settlement and the line's new state.

Each step is recorded in `teardown_steps` when it succeeds, in the same transaction as its effect
on simexit's rows, so a re-run (a retried job, a worker that died mid-way, an agent's retry) skips
what is done and repeats only what is not. Remote calls are idempotent by their interfaces
(barring twice, cancelling an order already unavailable), which covers a crash between the remote
call and the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases.ports import GatewayError, Gateways
from simexit.cases.service.common import apply, money_context, notify
from simexit.cases.states import CaseStatus, Trigger
from simexit.lines.states import LineStatus, SuspensionFlag
from simexit.models import Case, LedgerEntry, Line, TeardownStep
from simexit.principals import SYSTEM

log = structlog.get_logger()

Step = Callable[[Session, Case, Line, Gateways, datetime], None]


def _bar(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    gw.network.bar_outgoing(imsi=line.imsi, msisdn=line.msisdn)


def _deactivate(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    gw.network.deactivate(imsi=line.imsi, msisdn=line.msisdn)


def _release_esim(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    if line.kind == "esim" and line.iccid:
        gw.esim.cancel_order(iccid=line.iccid, eid=line.eid, matching_id=line.smdp_order_id)


def _close_billing(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    gw.billing.close_account(line_ref=str(line.id), billing_end=case.billing_end_date)


def _settle(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    """Double entry: every amount moves between two accounts, so a case's entries sum to zero."""
    preview = case.preview
    currency = line.currency

    def post(kind: str, debit: str, credit: str, minor: int) -> None:
        if minor <= 0:
            return
        session.add(
            LedgerEntry(
                operator_id=case.operator_id,
                case_id=case.id,
                kind=kind,
                account=debit,
                amount_minor=minor,
                currency=currency,
                created_at=now,
            )
        )
        session.add(
            LedgerEntry(
                operator_id=case.operator_id,
                case_id=case.id,
                kind=kind,
                account=credit,
                amount_minor=-minor,
                currency=currency,
                created_at=now,
            )
        )

    if preview is not None:
        for charge in preview.charges:
            post(charge.code, "subscriber_receivable", "operator_revenue", charge.amount.minor)
        post("prepaid_refund", "prepaid_liability", "payout_due", preview.refund.minor)
        post("prepaid_transfer", "prepaid_liability", "transfer_to_line", preview.transfer.minor)
        post("prepaid_forfeit", "prepaid_liability", "operator_revenue", preview.forfeit.minor)
    line.balance_minor = 0
    line.bonus_balance_minor = 0


def _end_line(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    before = line.status
    line.status = LineStatus.terminated
    line.terminated_on = case.effective_date
    preview = case.preview
    line.quarantine_until = preview.quarantine_until if preview else None
    line.reactivation_deadline = preview.reactivation_deadline if preview else None
    line.sim_return_required = (
        preview is not None and preview.sim_return_required and line.kind != "esim"
    )
    line.updated_at = now
    _audit_line(
        session,
        line,
        now,
        "line.terminated",
        before,
        {"quarantine_until": str(line.quarantine_until)},
    )


def _suspend(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    flags = set(line.suspension_flags or [])
    before = line.status
    if SuspensionFlag.voluntary.value not in flags:
        flags.add(SuspensionFlag.voluntary.value)
        line.suspensions_this_year += 1
    line.suspension_flags = sorted(flags)
    line.status = LineStatus.suspended
    line.suspended_since = line.suspended_since or case.effective_date
    line.updated_at = now
    _audit_line(session, line, now, "line.suspended", before, {"flags": line.suspension_flags})


def _resume(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    flags = set(line.suspension_flags or []) - {SuspensionFlag.voluntary.value}
    before = line.status
    line.suspension_flags = sorted(flags)
    line.status = LineStatus.suspended if flags else LineStatus.active
    if not flags:
        line.suspended_since = None
        gw.network.reactivate(imsi=line.imsi, msisdn=line.msisdn)
    line.updated_at = now
    _audit_line(session, line, now, "line.resumed", before, {"flags": line.suspension_flags})


def _reactivate(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    gw.network.reactivate(imsi=line.imsi, msisdn=line.msisdn)
    before = line.status
    line.status = LineStatus.active
    line.terminated_on = line.quarantine_until = line.reactivation_deadline = None
    line.updated_at = now
    _audit_line(session, line, now, "line.reactivated", before, {})


def _ported(session: Session, case: Case, line: Line, gw: Gateways, now: datetime) -> None:
    before = line.status
    line.status = LineStatus.number_released
    line.port_pending = False
    line.terminated_on = case.effective_date
    line.number_released_at = now
    line.updated_at = now
    _audit_line(session, line, now, "line.ported_out", before, {})


def _audit_line(
    session: Session, line: Line, now: datetime, action: str, before: str, changes: dict[str, Any]
) -> None:
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=SYSTEM,
        action=action,
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={"status": [before, line.status], **changes},
    )


STEPS: dict[str, tuple[tuple[str, Step], ...]] = {
    "terminate": (
        ("bar_outgoing", _bar),
        ("hss_deactivate", _deactivate),
        ("esim_release", _release_esim),
        ("billing_close", _close_billing),
        ("settlement", _settle),
        ("line_terminated", _end_line),
    ),
    "port_out": (
        ("billing_close", _close_billing),
        ("settlement", _settle),
        ("line_ported", _ported),
    ),
    "suspend": (("bar_outgoing", _bar), ("line_suspended", _suspend)),
    "resume": (("line_resumed", _resume),),
    "reactivate": (("line_reactivated", _reactivate),),
}


def _done_steps(session: Session, case: Case) -> dict[str, TeardownStep]:
    return {
        s.step: s
        for s in session.scalars(select(TeardownStep).where(TeardownStep.case_id == case.id))
    }


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """`retry_step` set: a step failed and has attempts left; the caller schedules another run.
    The failed attempt is committed with the outcome, so the count survives the retry."""

    status: str  # completed | failed | retry | skipped
    retry_step: str | None = None
    attempts: int = 0


def execute_case(
    session: Session, case: Case, *, gateways: Gateways, now: datetime, max_attempts: int
) -> ExecutionOutcome:
    """Run the steps not yet done. A step that fails leaves the case executing while it has
    attempts left; after that the case is `failed` and waits for an agent's retry."""
    if case.status != CaseStatus.executing:
        log.info("case.execute.skipped", case_id=str(case.id), status=case.status)
        return ExecutionOutcome("skipped")
    line = session.get(Line, case.line_id, with_for_update=True)
    if line is None:  # lines are never deleted; a missing one is a broken database
        raise RuntimeError(f"case {case.id} points at a missing line")
    if case.type == "terminate" and line.port_pending:
        # The port started after approval: ending the line now would lose the subscriber's number.
        fail_case(
            session,
            case,
            now,
            "port_pending: a port-out started for this number; the port ends the line",
        )
        return ExecutionOutcome("failed")
    steps = _done_steps(session, case)
    for name, step in STEPS[case.type]:
        record = steps.get(name)
        if record is not None and record.status == "done":
            continue
        if record is None:
            record = TeardownStep(
                case_id=case.id, step=name, status="pending", attempts=0, updated_at=now
            )
            session.add(record)
        record.attempts += 1
        record.updated_at = now
        try:
            with session.begin_nested():
                step(session, case, line, gateways, now)
        except GatewayError as error:
            record.status, record.detail = "failed", str(error)[:500]
            session.flush()
            log.warning(
                "case.step_failed",
                case_id=str(case.id),
                step=name,
                attempts=record.attempts,
                error=str(error),
            )
            if error.retryable and record.attempts < max_attempts:
                return ExecutionOutcome("retry", retry_step=name, attempts=record.attempts)
            fail_case(session, case, now, f"{name}: {error}")
            return ExecutionOutcome("failed", retry_step=name, attempts=record.attempts)
        record.status, record.detail = "done", None
        session.flush()
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


__all__ = ["ExecutionOutcome", "execute_case", "fail_case", "ledger_balances"]
