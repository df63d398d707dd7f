"""The teardown steps of each case type: what each asks of a remote system, and what it records.

A step has up to two halves:

* `remote`: the call to one of the operator's systems (`cases.ports.Gateways`). It gets a
  `StepTarget` — plain values read in the plan's read-only transaction, including the
  suspension flags the line will carry once the case is done — and runs with no transaction
  open and no database access. Every call is idempotent by its interface (disabling a
  subscriber already disabled, cancelling an order already unavailable), so a worker that dies
  between the call and the commit makes the next run repeat it harmlessly.
* `local`: what the step changes in simexit's own rows, written in the same short transaction
  as the step's done mark (`flows.record_step`).

`cases.flows` runs one step with a remote half per job run; the steps with only a local half
that follow it are recorded in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases.ports import Gateways
from simexit.lines.states import LineStatus, SuspensionFlag, suspensions_in_year
from simexit.models import Case, LedgerEntry, Line
from simexit.principals import SYSTEM


@dataclass(frozen=True, slots=True)
class StepTarget:
    """What a remote call needs to know about the case and its line, read when the step is
    planned. `flags_after` are the line's suspension flags once this case is done (a suspension
    adds `voluntary`, a resumption removes it): the network bars while any is left."""

    case_id: str
    case_type: str
    operator_code: str
    line_ref: str
    msisdn: str
    imsi: str | None
    kind: str
    iccid: str | None
    eid: str | None
    smdp_order_id: str | None
    billing_end: date | None
    flags_after: tuple[str, ...]

    @property
    def barred_after(self) -> bool:
        return bool(self.flags_after)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A remote call's result: `ok` with the peer's answer in `detail`, or the peer's error with
    whether trying again can help. Never raised: the call's failures are data for the record."""

    ok: bool
    detail: str | None = None
    retryable: bool = True

    @classmethod
    def succeeded(cls, detail: str | None = None) -> Outcome:
        return cls(True, detail)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> Outcome:
        return cls(False, error, retryable)


# `remote(gateways, target) -> answer`: the answer (or None) becomes the step's recorded outcome.
RemoteCall = Callable[[Gateways, StepTarget], str | None]
# `local(session, case, line, now)`: the step's effect on simexit's rows, under the row locks.
LocalRecord = Callable[[Session, Case, Line, datetime], None]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    remote: RemoteCall | None = None
    local: LocalRecord | None = None
    # "<port>.<operation>" of the remote call: the metrics' and the logs' name for it.
    operation: str | None = None


# --- remote halves --------------------------------------------------------------------------


def _bar(gw: Gateways, t: StepTarget) -> str:
    gw.network.bar_outgoing(imsi=t.imsi, msisdn=t.msisdn)
    return "barred"


def _deactivate(gw: Gateways, t: StepTarget) -> str:
    gw.network.deactivate(imsi=t.imsi, msisdn=t.msisdn)
    return "deactivated"


def _unbar_if_no_flag_left(gw: Gateways, t: StepTarget) -> str:
    if t.barred_after:  # another reason (lost, debt, regulatory) still holds the line barred
        return "kept barred: " + ",".join(t.flags_after)
    gw.network.reactivate(imsi=t.imsi, msisdn=t.msisdn)
    return "unbarred"


def _reactivate(gw: Gateways, t: StepTarget) -> str:
    gw.network.reactivate(imsi=t.imsi, msisdn=t.msisdn)
    return "reactivated"


def _release_esim(gw: Gateways, t: StepTarget) -> str:
    if t.kind != "esim" or not t.iccid:
        return "no eSIM profile"
    gw.esim.cancel_order(iccid=t.iccid, eid=t.eid, matching_id=t.smdp_order_id)
    return "cancelled"


def _close_billing(gw: Gateways, t: StepTarget) -> str:
    gw.billing.close_account(line_ref=t.line_ref, billing_end=t.billing_end)
    return "closed"


# --- local halves ---------------------------------------------------------------------------


def _settle(session: Session, case: Case, line: Line, now: datetime) -> None:
    """Double entry: every amount moves between two accounts, so a case's entries sum to zero."""
    preview = case.preview
    currency = line.currency

    def post(kind: str, debit: str, credit: str, minor: int) -> None:
        if minor <= 0:
            return
        for account, amount in ((debit, minor), (credit, -minor)):
            session.add(
                LedgerEntry(
                    operator_id=case.operator_id,
                    case_id=case.id,
                    kind=kind,
                    account=account,
                    amount_minor=amount,
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


def _end_line(session: Session, case: Case, line: Line, now: datetime) -> None:
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


def flags_after(case_type: str, flags: set[str]) -> set[str]:
    """The line's suspension flags once a case of this type is done."""
    if case_type == "suspend":
        return flags | {SuspensionFlag.voluntary.value}
    if case_type == "resume":
        return flags - {SuspensionFlag.voluntary.value}
    return flags


def count_suspension(line: Line, *, year: int) -> None:
    """One more suspension: in `year`'s counter (reset when the year changed) and in the total;
    the pack says which of them its limit reads (`suspension.counted_per`)."""
    this_year = suspensions_in_year(
        line.suspensions_this_year, counted_year=line.suspensions_counted_year, year=year
    )
    line.suspensions_total = max(line.suspensions_total, line.suspensions_this_year) + 1
    line.suspensions_this_year = this_year + 1
    line.suspensions_counted_year = year


def _suspend(session: Session, case: Case, line: Line, now: datetime) -> None:
    flags = set(line.suspension_flags or [])
    before = line.status
    if SuspensionFlag.voluntary.value not in flags:
        count_suspension(line, year=(case.effective_date or now.date()).year)
    line.suspension_flags = sorted(flags_after("suspend", flags))
    line.voluntary_until = case.suspend_until
    line.status = LineStatus.suspended
    line.suspended_since = line.suspended_since or case.effective_date
    line.updated_at = now
    _audit_line(session, line, now, "line.suspended", before, {"flags": line.suspension_flags})


def _resume(session: Session, case: Case, line: Line, now: datetime) -> None:  # noqa: ARG001 - a LocalRecord
    flags = flags_after("resume", set(line.suspension_flags or []))
    before = line.status
    line.suspension_flags = sorted(flags)
    line.status = LineStatus.suspended if flags else LineStatus.active
    line.voluntary_until = None
    if not flags:
        line.suspended_since = None
    line.updated_at = now
    _audit_line(session, line, now, "line.resumed", before, {"flags": line.suspension_flags})


def _reactivated(session: Session, case: Case, line: Line, now: datetime) -> None:  # noqa: ARG001 - a LocalRecord
    before = line.status
    line.status = LineStatus.active
    line.terminated_on = line.quarantine_until = line.reactivation_deadline = None
    line.updated_at = now
    _audit_line(session, line, now, "line.reactivated", before, {})


def _ported(session: Session, case: Case, line: Line, now: datetime) -> None:
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


BAR = Step("bar_outgoing", remote=_bar, operation="network.bar_outgoing")
BILLING_CLOSE = Step("billing_close", remote=_close_billing, operation="billing.close_account")
SETTLEMENT = Step("settlement", local=_settle)

STEPS: Final[Mapping[str, tuple[Step, ...]]] = {
    "terminate": (
        BAR,
        Step("hss_deactivate", remote=_deactivate, operation="network.deactivate"),
        Step("esim_release", remote=_release_esim, operation="esim.cancel_order"),
        BILLING_CLOSE,
        SETTLEMENT,
        Step("line_terminated", local=_end_line),
    ),
    "port_out": (BILLING_CLOSE, SETTLEMENT, Step("line_ported", local=_ported)),
    "suspend": (BAR, Step("line_suspended", local=_suspend)),
    "resume": (
        Step(
            "line_resumed",
            remote=_unbar_if_no_flag_left,
            local=_resume,
            operation="network.reactivate",
        ),
    ),
    "reactivate": (
        Step(
            "line_reactivated",
            remote=_reactivate,
            local=_reactivated,
            operation="network.reactivate",
        ),
    ),
}


def steps_for(case_type: str) -> tuple[Step, ...]:
    return STEPS[case_type]


StepStatus = Literal["pending", "done", "failed"]


@dataclass(frozen=True, slots=True)
class StepState:
    """One step of a case as the API and the console show it. `state` is pending (not tried
    yet), done, or failed (the last try failed; `error` says how)."""

    name: str
    state: StepStatus
    attempts: int
    outcome: str | None
    error: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class StepRecord:
    """What `teardown_steps` holds for one step (plain values, read by the repository)."""

    name: str
    status: str
    attempts: int
    outcome: str | None
    detail: str | None
    updated_at: datetime


def progress(case_type: str, records: Mapping[str, StepRecord]) -> list[StepState]:
    """Every step of the case's type, in order, with what was recorded for it."""
    states = []
    for step in STEPS.get(case_type, ()):
        r = records.get(step.name)
        if r is None:
            states.append(StepState(step.name, "pending", 0, None, None, None))
            continue
        state: StepStatus = (
            "done" if r.status == "done" else "failed" if r.status == "failed" else "pending"
        )
        error = r.detail if state == "failed" else None
        states.append(StepState(step.name, state, r.attempts, r.outcome, error, r.updated_at))
    return states


def next_step(case_type: str, done: set[str]) -> Step | None:
    """The first step of the case's type not done yet; None when all are."""
    return next((s for s in STEPS[case_type] if s.name not in done), None)


__all__ = [
    "STEPS",
    "LocalRecord",
    "Outcome",
    "RemoteCall",
    "Step",
    "StepRecord",
    "StepState",
    "StepStatus",
    "StepTarget",
    "flags_after",
    "next_step",
    "progress",
    "steps_for",
]
