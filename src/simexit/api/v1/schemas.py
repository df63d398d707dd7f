"""Pydantic models of API v1: `XCreate` in, `XRead` / `XList` out.

Money is `{"amount": "12.50", "currency": "NOK"}`; times are RFC 3339 in UTC; dates are ISO.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from simexit.api.validators import (
    E164,
    BoundedDate,
    BoundedTimestamp,
    Code,
    Iccid,
    LongText,
    ShortText,
)
from simexit.cases.states import CaseStatus
from simexit.cases.teardown import StepState
from simexit.kit.money import Money as MoneyValue
from simexit.lines.states import SuspensionFlag
from simexit.models import AuditEvent, Case, Line, Operator, PortOut, Verification
from simexit.policies import model as policy
from simexit.policies.model import Channel, Decision, RequestType, SettlementChoice

if TYPE_CHECKING:
    from simexit.cases.service.porting import PendingPort

# Spelled out for OpenAPI and mypy; tests/api/test_operations.py checks they match the domain.
RejectionReason = Literal[
    "duplicate_request",
    "fraud_suspected",
    "identity_not_confirmed",
    "not_account_holder",
    "other",
    "policy_not_met",
    "unpaid_bills",
]
CodeMethod = Literal["email_otp", "sms_otp"]
AttestedMethod = Literal["account_pin", "bankid", "gosuslugi", "id_document"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- shared ---------------------------------------------------------------------------------


class Money(BaseModel):
    amount: str = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["12.50"])
    currency: str = Field(min_length=3, max_length=3, examples=["NOK"])

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=MoneyValue(minor, currency).as_str(), currency=currency)

    @classmethod
    def of_value(cls, value: MoneyValue) -> Money:
        return cls(amount=value.as_str(), currency=value.currency)


class Evidence(BaseModel):
    path: str
    status: str = Field(description="V verified, S secondary, U unverified.")
    sources: list[str]

    @classmethod
    def of(cls, evidence: policy.Evidence) -> Evidence:
        return cls(path=evidence.path, status=evidence.status.value, sources=list(evidence.sources))


class Finding(BaseModel):
    """A reason, checklist item or alternative as a code with parameters; words are the client's."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)

    @classmethod
    def of(cls, finding: policy.Finding) -> Finding:
        return cls(
            code=finding.code,
            params=dict(finding.params),
            evidence=[Evidence.of(e) for e in finding.evidence],
        )

    @classmethod
    def all_of(cls, findings: tuple[policy.Finding, ...]) -> list[Finding]:
        return [cls.of(f) for f in findings]


class Charge(BaseModel):
    code: str
    amount: Money


class Preview(BaseModel):
    """The consequences of a request: dates, money, blockers and the personal checklist.

    The engine's `Decision` as the API shows it, field for field (its evidence list aside: each
    finding and charge carries its own), plus `total_due`; a test holds the two together."""

    outcome: Literal["approve", "review", "block"]
    effective_date: date | None
    billing_end_date: date | None
    sla_due_date: date | None
    currency: str
    charges: list[Charge]
    total_due: Money
    balance_outcome: str | None
    refund: Money
    transfer: Money
    forfeit: Money
    applied_to_debt: Money | None
    blockers: list[Finding]
    review_reasons: list[Finding]
    identity_methods: list[str]
    quarantine_until: date | None
    reactivation_deadline: date | None
    sim_return_required: bool
    sim_return_deadline: date | None
    checklist: list[Finding]
    alternatives: list[Finding]
    pack_id: str
    pack_reviewed: date | None
    confirmation_channels: list[str] = Field(
        description="How the pack says the subscriber hears about the case: sms, email, letter, "
        "gov_portal (empty: as every channel configured)."
    )
    port_out: PortOutPlan | None = Field(
        default=None,
        description="The line's pending port-out, if any: no other request that ends the line "
        "can proceed (blocker `port_pending`), and none is needed; completing the port ends it.",
    )

    @classmethod
    def of(cls, d: Decision, port: PendingPort | None = None) -> Preview:
        """From a decision: computed now, or frozen into a case at submission."""
        return cls(
            port_out=PortOutPlan.of(port) if port is not None else None,
            outcome=d.outcome.value,
            effective_date=d.effective_date,
            billing_end_date=d.billing_end_date,
            sla_due_date=d.sla_due_date,
            currency=d.currency,
            charges=[Charge(code=c.code, amount=Money.of_value(c.amount)) for c in d.charges],
            total_due=Money.of_value(d.total_due),
            balance_outcome=d.balance_outcome,
            refund=Money.of_value(d.refund),
            transfer=Money.of_value(d.transfer),
            forfeit=Money.of_value(d.forfeit),
            applied_to_debt=Money.of_value(d.applied_to_debt) if d.applied_to_debt else None,
            blockers=Finding.all_of(d.blockers),
            review_reasons=Finding.all_of(d.review_reasons),
            identity_methods=list(d.identity_methods),
            quarantine_until=d.quarantine_until,
            reactivation_deadline=d.reactivation_deadline,
            sim_return_required=d.sim_return_required,
            sim_return_deadline=d.sim_return_deadline,
            checklist=Finding.all_of(d.checklist),
            alternatives=Finding.all_of(d.alternatives),
            pack_id=d.pack_id,
            pack_reviewed=d.pack_reviewed,
            confirmation_channels=list(d.confirmation_channels),
        )


class PortOutPlan(BaseModel):
    """What a pending port-out will do: the line ends when the recipient completes the port
    (`ends`), and `settlement` is the pack's decision for it (charges, refund, transfer or
    forfeit of the balance), settled by the teardown that the completion starts."""

    id: uuid.UUID
    recipient_operator: str
    requested_at: datetime
    case_id: uuid.UUID | None
    planned_date: date | None
    ends: Literal["on_port_completion"] = "on_port_completion"
    settlement: Preview

    @classmethod
    def of(cls, pending: PendingPort) -> PortOutPlan:
        return cls(
            id=pending.port.id,
            recipient_operator=pending.port.recipient_operator,
            requested_at=pending.port.requested_at,
            case_id=pending.case.id if pending.case is not None else None,
            planned_date=pending.case.effective_date if pending.case is not None else None,
            settlement=Preview.of(pending.settlement),
        )


Preview.model_rebuild()


# --- operators ------------------------------------------------------------------------------


class OperatorRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    country: str
    currency: str
    timezone: str
    languages: list[str]
    policy_pack: str

    @classmethod
    def of(cls, operator: Operator) -> OperatorRead:
        return cls.model_validate(operator, from_attributes=True)


class OperatorList(BaseModel):
    items: list[OperatorRead]


class PolicyRead(BaseModel):
    operator_id: uuid.UUID
    pack_id: str
    pack: dict[str, Any] = Field(
        description="The merged pack; each value with status, sources and the layer that gave it "
        "(`layer`); `variants` lists each product and region layer, the lines it applies to and "
        "the values it changes."
    )


# --- lines ----------------------------------------------------------------------------------


class LineRead(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    reseller_id: uuid.UUID | None
    msisdn: str
    kind: str
    plan: str
    product_name: str | None
    iccid: str | None
    eid: str | None
    status: str
    suspension_flags: list[str]
    port_pending: bool
    balance: Money
    unpaid_bills: Money
    device_instalments: Money
    commitment_end: date | None
    linked_services: list[str]
    sim_return_required: bool
    sim_returned_at: datetime | None
    terminated_on: date | None
    quarantine_until: date | None
    reactivation_deadline: date | None
    number_released_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, line: Line) -> LineRead:
        return cls(
            id=line.id,
            operator_id=line.operator_id,
            reseller_id=line.reseller_id,
            msisdn=line.msisdn,
            kind=line.kind,
            plan=line.plan,
            product_name=line.product_name,
            iccid=line.iccid,
            eid=line.eid,
            status=line.status,
            suspension_flags=list(line.suspension_flags or []),
            port_pending=line.port_pending,
            balance=Money.of(line.balance_minor, line.currency),
            unpaid_bills=Money.of(line.unpaid_bills_minor, line.currency),
            device_instalments=Money.of(line.device_instalment_minor, line.currency),
            commitment_end=line.commitment_end,
            linked_services=list(line.linked_services or []),
            sim_return_required=line.sim_return_required,
            sim_returned_at=line.sim_returned_at,
            terminated_on=line.terminated_on,
            quarantine_until=line.quarantine_until,
            reactivation_deadline=line.reactivation_deadline,
            number_released_at=line.number_released_at,
            updated_at=line.updated_at,
        )


class LineList(BaseModel):
    items: list[LineRead]
    # Set when a filtered list (GET /v1/lines with filters) has more pages.
    next_cursor: str | None = None
    next: str | None = None


class SimReturnCreate(Input):
    returned_at: BoundedTimestamp | None = Field(
        default=None, description="When the SIM arrived; now if left out."
    )
    note: LongText | None = None


class SuspensionFlagChange(Input):
    flag: SuspensionFlag = Field(description="lost_stolen, debt, regulatory or voluntary.")
    active: bool = Field(description="true sets the reason, false clears it.")
    note: LongText | None = None


class EsimNotificationCreate(Input):
    """A notice relayed from the SM-DP+ (GSMA SGP.22 ES2+ HandleNotification)."""

    iccid: Iccid
    eid: ShortText | None = None
    event: Literal["deleted", "disabled", "enabled", "installed"]
    at: BoundedTimestamp


class EsimNotificationRead(BaseModel):
    line_id: uuid.UUID
    line_status: str
    contract_changed: bool = Field(
        description="Always false: a profile event never ends a contract."
    )
    subscriber_notified: bool


class PortOutCreate(Input):
    msisdn: E164
    recipient_operator: ShortText = Field(min_length=1)


class PortOutRead(BaseModel):
    id: uuid.UUID
    line_id: uuid.UUID
    recipient_operator: str
    status: str
    requested_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, port_out: PortOut) -> PortOutRead:
        return cls.model_validate(port_out, from_attributes=True)


class PortOutComplete(Input):
    completed_at: BoundedTimestamp | None = None


# --- cases ----------------------------------------------------------------------------------


class CaseCreate(Input):
    line_id: uuid.UUID
    type: RequestType = RequestType.terminate
    channel: Channel = Channel.api
    reason: Code | None = None
    comment: LongText | None = None
    requested_date: BoundedDate | None = None
    settlement: SettlementChoice | None = None
    transfer_to_msisdn: E164 | None = None
    suspend_until: BoundedDate | None = None


class CaseRead(BaseModel):
    id: uuid.UUID
    reference: str
    operator_id: uuid.UUID
    line_id: uuid.UUID
    parent_case_id: uuid.UUID | None
    type: str
    channel: str
    status: CaseStatus
    reason: str | None
    comment: str | None
    requested_date: date | None
    settlement: str | None
    transfer_to_msisdn: str | None
    suspend_until: date | None
    effective_date: date | None
    billing_end_date: date | None
    sla_due_date: date | None
    blockers: list[Finding]
    review_reasons: list[Finding]
    rejection_reason: str | None
    decision_note: str | None
    failure_reason: str | None
    language: str
    consented_at: datetime | None
    created_at: datetime
    status_changed_at: datetime
    submitted_at: datetime | None
    verified_at: datetime | None
    decided_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    actions: list[str] = Field(
        description="What the caller may do next (POST /v1/cases/{id}/<action>)."
    )
    preview: Preview | None

    @classmethod
    def of(cls, case: Case, actions: list[str]) -> CaseRead:
        return cls(
            id=case.id,
            reference=case.reference,
            operator_id=case.operator_id,
            line_id=case.line_id,
            parent_case_id=case.parent_case_id,
            type=case.type,
            channel=case.channel,
            status=case.status,
            reason=case.reason_code,
            comment=case.comment,
            requested_date=case.requested_date,
            settlement=case.settlement,
            transfer_to_msisdn=case.transfer_to_msisdn,
            suspend_until=case.suspend_until,
            effective_date=case.effective_date,
            billing_end_date=case.billing_end_date,
            sla_due_date=case.sla_due_date,
            blockers=Finding.all_of(case.blockers),
            review_reasons=Finding.all_of(case.review_reasons),
            rejection_reason=case.rejection_reason,
            decision_note=case.decision_note,
            failure_reason=case.failure_reason,
            language=case.language,
            consented_at=case.consented_at,
            created_at=case.created_at,
            status_changed_at=case.status_changed_at,
            submitted_at=case.submitted_at,
            verified_at=case.verified_at,
            decided_at=case.decided_at,
            completed_at=case.completed_at,
            closed_at=case.closed_at,
            actions=actions,
            preview=Preview.of(case.preview) if case.preview else None,
        )


class TeardownStepRead(BaseModel):
    step: str = Field(description="The step's name, e.g. `bar_outgoing`, `esim_release`.")
    state: Literal["pending", "done", "failed"]
    attempts: int = Field(description="How many times the step was tried, over all retries.")
    outcome: str | None = Field(description="What the peer answered when the step was done.")
    error: str | None = Field(description="The peer's error of the last try, while failed.")
    updated_at: datetime | None

    @classmethod
    def of(cls, state: StepState) -> TeardownStepRead:
        return cls(
            step=state.name,
            state=state.state,
            attempts=state.attempts,
            outcome=state.outcome,
            error=state.error,
            updated_at=state.updated_at,
        )


class CaseDetail(CaseRead):
    teardown_steps: list[TeardownStepRead] = Field(
        description="The steps that carry out the case in the operator's systems, in order, "
        "with their state: a failed case names its failed step and the peer's error."
    )


class CaseList(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )
    next: str | None = Field(description="The URL of the next page, or null.")


class EventRead(BaseModel):
    seq: int | None = Field(
        description="The event's place in its operator's tamper-evident audit chain. Null for "
        "the second or so after the change committed, until the sealer links it."
    )
    at: datetime
    actor_type: str
    actor_id: str
    action: str
    changes: dict[str, Any]
    note: str | None
    request_id: str | None

    @classmethod
    def of(cls, event: AuditEvent) -> EventRead:
        return cls.model_validate(event, from_attributes=True)


class EventList(BaseModel):
    items: list[EventRead]


class VerificationCreate(Input):
    method: CodeMethod = Field(description="How to send the one-time code.")


class VerificationConfirm(Input):
    code: str = Field(pattern=r"^[0-9]{4,10}$", examples=["123456"])


class PinAnswer(Input):
    pin: str = Field(pattern=r"^[0-9]{4,8}$", examples=["2468"])


class IdentityAttest(Input):
    method: AttestedMethod
    document_type: Code | None = None
    document_last4: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{1,4}$")
    document_number: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{4,40}$",
        description="The number on the document seen; compared with the keyed hash on file "
        "(422 document_mismatch when it differs), never stored.",
    )
    mrz: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9<\r\n]+$",
        description="The document's machine-readable zone (passport: 2 lines of 44, ID card: "
        "3 of 30): check digits and expiry checked (422 mrz_invalid), the number compared.",
    )
    note: LongText | None = None


class VerificationRead(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    method: str
    status: str
    destination_masked: str | None
    expires_at: datetime
    verified_at: datetime | None

    @classmethod
    def of(cls, verification: Verification) -> VerificationRead:
        return cls.model_validate(verification, from_attributes=True)


class VerificationResult(BaseModel):
    outcome: Literal["passed"]
    case: CaseRead


class SubmitCreate(Input):
    consent: LongText | None = Field(
        default=None, description="The consent text the subscriber agreed to."
    )


class NoteCreate(Input):
    note: LongText | None = None


class RejectCreate(Input):
    reason: RejectionReason
    note: LongText | None = None


InformationKind = Literal["corrected_name", "id_copy", "other", "purchase_proof"]


class InformationRequestCreate(Input):
    """What the subscriber is asked for, in the agent's words, and the last day to answer (the
    operator's calendar date; after today, at most 60 days away)."""

    kind: InformationKind
    message: Annotated[LongText, StringConstraints(min_length=1)]
    due_date: BoundedDate


class ResubmitCreate(Input):
    comment: LongText | None = None


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str] = Field(default_factory=dict)
