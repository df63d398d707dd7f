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

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import charges
from simexit.cases.ports import Gateways, ProfileNotCancellable
from simexit.lines import repository as line_repository
from simexit.lines.states import LineStatus, SuspensionFlag, suspensions_in_year
from simexit.models import Case, LedgerEntry, Line
from simexit.notifications import service as notifications
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
    # The profile's last state the SM-DP+ reported (`lines.service.handle_esim_notice`).
    esim_profile_state: str | None
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
    data: Mapping[str, str] | None = None

    @classmethod
    def succeeded(cls, detail: str | None = None, data: Mapping[str, str] | None = None) -> Outcome:
        return cls(True, detail, data=data)

    @classmethod
    def failed(cls, error: str, *, retryable: bool) -> Outcome:
        return cls(False, error, retryable)


@dataclass(frozen=True, slots=True)
class Answer:
    """A remote half's answer with values the step's `answered` half records."""

    text: str
    data: Mapping[str, str]


# `remote(gateways, target) -> answer`: the answer (or None) becomes the step's recorded outcome.
RemoteCall = Callable[[Gateways, StepTarget], str | Answer | None]
# `local(session, case, line, now)`: the step's effect on simexit's rows, under the row locks.
LocalRecord = Callable[[Session, Case, Line, datetime], None]
# `answered(session, case, line, now, outcome)`: what the remote answer changes in simexit's rows.
AnswerRecord = Callable[[Session, Case, Line, datetime, Outcome], None]


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    remote: RemoteCall | None = None
    local: LocalRecord | None = None
    # "<port>.<operation>" of the remote call: the metrics' and the logs' name for it.
    operation: str | None = None
    answered: AnswerRecord | None = None


def call_id(target: StepTarget, step: str) -> str:
    """The identifier of a step's remote call: the same on every try of the step, so a peer
    that executed a call whose answer was lost recognises the repeat (ES2+
    `functionCallIdentifier`, a TMF641 order's `externalId`)."""
    return f"simexit-{target.case_id}-{step}"


# --- remote halves --------------------------------------------------------------------------


def _bar(gw: Gateways, t: StepTarget) -> str:
    gw.network.bar_outgoing(imsi=t.imsi, msisdn=t.msisdn, call_id=call_id(t, "bar_outgoing"))
    return "barred"


def _deactivate(gw: Gateways, t: StepTarget) -> str:
    gw.network.deactivate(imsi=t.imsi, msisdn=t.msisdn, call_id=call_id(t, "hss_deactivate"))
    return "deactivated"


def _unbar_if_no_flag_left(gw: Gateways, t: StepTarget) -> str:
    if t.barred_after:  # another reason (lost, debt, regulatory) still holds the line barred
        return "kept barred: " + ",".join(t.flags_after)
    gw.network.reactivate(imsi=t.imsi, msisdn=t.msisdn, call_id=call_id(t, "line_resumed"))
    return "unbarred"


def _reactivate(gw: Gateways, t: StepTarget) -> str:
    gw.network.reactivate(imsi=t.imsi, msisdn=t.msisdn, call_id=call_id(t, "line_reactivated"))
    return "reactivated"


# States of a profile on a device: SGP.22 refuses a CancelOrder for it (§5.3.4), so none is sent.
ON_DEVICE: Final = frozenset({"downloaded", "installed", "enabled", "disabled"})
PROFILE_ON_DEVICE: Final = (
    "profile on a device: not cancellable at the SM-DP+ (SGP.22); the network side ends the "
    "service and the subscriber is told to delete the profile"
)


def _release_esim(gw: Gateways, t: StepTarget) -> str:
    """A profile not yet downloaded: CancelOrder. One on a device (as the SM-DP+ reported, or
    as its refusal says): no CancelOrder; the HSS step already ended the service."""
    if t.kind != "esim" or not t.iccid:
        return "no eSIM profile"
    if t.esim_profile_state in ON_DEVICE:
        return PROFILE_ON_DEVICE
    if t.esim_profile_state == "deleted":
        return "profile deleted from its device: nothing to cancel"
    try:
        gw.esim.cancel_order(
            iccid=t.iccid,
            eid=t.eid,
            matching_id=t.smdp_order_id,
            call_id=call_id(t, "esim_release"),
        )
    except ProfileNotCancellable as refusal:
        return f"{PROFILE_ON_DEVICE} ({refusal})"
    return "cancelled"


def _order_profile(gw: Gateways, t: StepTarget) -> str | Answer:
    """Reactivating an eSIM line: a new profile (the old one was cancelled or deleted)."""
    if t.kind != "esim":
        return "no eSIM profile"
    profile = gw.esim.order_profile(eid=t.eid, call_id=call_id(t, "esim_new_profile"))
    data = {"iccid": profile.iccid}
    if profile.matching_id:
        data["matching_id"] = profile.matching_id
    if profile.smdp_address:
        data["smdp_address"] = profile.smdp_address
    return Answer(f"new profile {profile.iccid} released for download", data)


def _close_billing(gw: Gateways, t: StepTarget) -> str:
    gw.billing.close_account(
        line_ref=t.line_ref, billing_end=t.billing_end, call_id=call_id(t, "billing_close")
    )
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
        if preview.transfer.minor > 0 and _credit_transfer_target(session, case, line, now):
            post(
                "transfer_credited", "transfer_to_line", "prepaid_liability", preview.transfer.minor
            )
    line.balance_minor = 0
    line.bonus_balance_minor = 0


def _credit_transfer_target(session: Session, case: Case, line: Line, now: datetime) -> bool:
    """The moved balance lands on the subscriber's other line (checked at opening; checked
    again here, as the line may have ended since). Not there: it stays on `transfer_to_line`
    for an agent, and the case's audit says so."""
    preview = case.preview
    assert preview is not None  # noqa: S101 - the caller checked
    target = session.scalars(
        select(Line)
        .where(Line.operator_id == case.operator_id, Line.msisdn == case.transfer_to_msisdn)
        .with_for_update()
    ).first()
    usable = (
        target is not None
        and target.id != line.id
        and target.subscriber_id == line.subscriber_id
        and target.status is LineStatus.active
        and target.currency == line.currency
    )
    if not usable or target is None:
        audit.record(
            session,
            operator_id=case.operator_id,
            actor=SYSTEM,
            action="case.transfer_not_credited",
            subject_type="case",
            subject_id=case.id,
            at=now,
            changes={"amount": preview.transfer.as_str(), "to": case.transfer_to_msisdn},
        )
        return False
    target.balance_minor += preview.transfer.minor
    target.updated_at = now
    audit.record(
        session,
        operator_id=target.operator_id,
        actor=SYSTEM,
        action="line.balance_credited",
        subject_type="line",
        subject_id=target.id,
        at=now,
        changes={"amount": preview.transfer.as_str(), "from_case": case.reference},
    )
    return True


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
    """The number lives on at the recipient: the line ends with nothing to quarantine. The
    completed port (`cases.service.porting.complete_port_out`) has usually released it already;
    this records the teardown's end either way."""
    before = line.status
    line.status = LineStatus.number_released
    line.port_pending = False
    line.terminated_on = line.terminated_on or case.effective_date
    line.number_released_at = line.number_released_at or now
    line.quarantine_until = line.reactivation_deadline = None
    line.sim_return_required = False
    line.updated_at = now
    _audit_line(session, line, now, "line.ported_out", before, {})


def _profile_left_on_device(
    session: Session, case: Case, line: Line, now: datetime, outcome: Outcome
) -> None:
    """The profile stays on the subscriber's device: tell them to delete it (it no longer
    works once the network has ended the service)."""
    if not (outcome.detail or "").startswith(PROFILE_ON_DEVICE):
        return
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=SYSTEM,
        action="line.esim_profile_left_on_device",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={"iccid": line.iccid, "case": case.reference},
    )
    notify(session, case, "esim.delete_profile", now=now, context={"msisdn": line.msisdn})


def _new_profile(session: Session, case: Case, line: Line, now: datetime, outcome: Outcome) -> None:
    data = outcome.data or {}
    if "iccid" not in data:
        return
    before = {"iccid": line.iccid, "smdp_order_id": line.smdp_order_id}
    line.iccid = data["iccid"]
    line.smdp_order_id = data.get("matching_id")
    line.esim_profile_state = "released"
    line.updated_at = now
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=SYSTEM,
        action="line.esim_profile_ordered",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={"before": before, "iccid": line.iccid, "smdp_order_id": line.smdp_order_id},
    )
    notify(
        session,
        case,
        "esim.new_profile",
        now=now,
        context={
            "msisdn": line.msisdn,
            "activation_code": activation_code(data.get("smdp_address"), data.get("matching_id")),
        },
    )


def notify(
    session: Session, case: Case, kind: str, *, now: datetime, context: dict[str, Any]
) -> None:
    """A message about the case's line to its subscriber (as `cases.service.common.notify`,
    which this module cannot import: the case services import the teardown)."""
    subscriber = line_repository.contact(session, case.subscriber_id)
    if subscriber.erased or not notifications.reaches(subscriber.addresses):
        return  # nobody to tell: the step is still done (a job must not fail for it)
    notifications.notify(
        session,
        now=now,
        operator_id=case.operator_id,
        kind=kind,
        subject_id=str(case.id),
        language=case.language,
        contacts=subscriber.addresses,
        context={"reference": case.reference, **context},
    )


def activation_code(smdp_address: str | None, matching_id: str | None) -> str | None:
    """The GSMA activation code (SGP.22 §4.1: `1$<SM-DP+ address>$<matching ID>`)."""
    if not smdp_address or not matching_id:
        return None
    return f"1${smdp_address}${matching_id}"


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
HSS_DEACTIVATE = Step("hss_deactivate", remote=_deactivate, operation="network.deactivate")
ESIM_RELEASE = Step(
    "esim_release",
    remote=_release_esim,
    operation="esim.cancel_order",
    answered=_profile_left_on_device,
)
BILLING_CLOSE = Step("billing_close", remote=_close_billing, operation="billing.close_account")
SETTLEMENT = Step("settlement", local=_settle)
CHARGES = Step("charges", local=charges.post_preview_charges)

STEPS: Final[Mapping[str, tuple[Step, ...]]] = {
    "terminate": (
        BAR,
        HSS_DEACTIVATE,
        ESIM_RELEASE,
        BILLING_CLOSE,
        SETTLEMENT,
        Step("line_terminated", local=_end_line),
    ),
    # Run only once the recipient completed the port (`flows.plan_step` refuses a port_out case
    # without one): the donor's subscription leaves the network, the eSIM profile is released,
    # billing closes and the balance settles as the pack says, as for a termination.
    "port_out": (
        HSS_DEACTIVATE,
        ESIM_RELEASE,
        BILLING_CLOSE,
        SETTLEMENT,
        Step("line_ported", local=_ported),
    ),
    "suspend": (BAR, CHARGES, Step("line_suspended", local=_suspend)),
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
        Step(
            "esim_new_profile",
            remote=_order_profile,
            operation="esim.order_profile",
            answered=_new_profile,
        ),
        CHARGES,
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
    "Answer",
    "AnswerRecord",
    "LocalRecord",
    "Outcome",
    "RemoteCall",
    "Step",
    "StepRecord",
    "StepState",
    "StepStatus",
    "StepTarget",
    "activation_code",
    "call_id",
    "flags_after",
    "next_step",
    "progress",
    "steps_for",
]
