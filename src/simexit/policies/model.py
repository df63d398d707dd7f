"""The policy engine's contract: what goes in (a line's facts, a request, today) and what comes out.

Pure values only. The rest of simexit builds `LineFacts` and `CaseRequest` from its rows and reads
a `Decision`; it never looks inside a pack itself. Words are not decided here: findings,
checklist items and alternatives are codes with parameters, rendered later in each language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from simexit.kit.money import Money


class LineKind(StrEnum):
    physical_sim = "physical_sim"
    esim = "esim"
    data_only = "data_only"


class Plan(StrEnum):
    prepaid = "prepaid"
    postpaid = "postpaid"


class RequestType(StrEnum):
    terminate = "terminate"
    suspend = "suspend"
    resume = "resume"
    port_out = "port_out"
    reactivate = "reactivate"


class Channel(StrEnum):
    web = "web"
    app = "app"
    api = "api"
    agent = "agent"
    phone = "phone"
    email = "email"
    chat = "chat"
    store = "store"
    reseller = "reseller"
    port_in_operator = "port_in_operator"


class SettlementChoice(StrEnum):
    refund = "refund"
    transfer = "transfer"
    forfeit = "forfeit"


class LineStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    pending_termination = "pending_termination"
    terminated = "terminated"
    number_released = "number_released"


class EvidenceStatus(StrEnum):
    verified = "V"
    secondary = "S"
    unverified = "U"


class Outcome(StrEnum):
    approve = "approve"  # may go ahead without a person
    review = "review"  # an agent must decide
    block = "block"  # may not go ahead until the blockers are cleared


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the engine needs to know about one line; all money in the line's currency."""

    kind: LineKind
    plan: Plan
    currency: str
    activated_on: date
    status: LineStatus = LineStatus.active
    region: str | None = None  # state / subject code, e.g. "CA"
    commitment_start: date | None = None
    commitment_end: date | None = None
    commitment_kind: str | None = (
        None  # e.g. "smartphone", "basic" — selects an early-exit schedule
    )
    monthly_fee: Money | None = None
    billing_cycle_day: int | None = None  # 1..28; None = calendar month
    plan_expiry: date | None = None
    last_topup_on: date | None = None
    last_chargeable_activity_on: date | None = None
    balance: Money | None = None  # prepaid credit, including bonus
    bonus_balance: Money | None = None  # the part of `balance` that is bonus/promo credit
    unpaid_bills: Money | None = None
    device_instalment_balance: Money | None = None
    linked_services: tuple[
        str, ...
    ] = ()  # autopay_card, third_party_billing, two_factor, bankid, gosuslugi, ...
    port_pending: bool = False
    suspended_since: date | None = None
    suspensions_this_year: int = 0  # in the current calendar year
    suspensions_total: int = 0  # over the number's life with this operator
    terminated_on: date | None = None
    subscriber_sim_count: int = 1  # lines the subscriber holds across operators, where known (RU)
    signed_up_channel: str | None = None  # "online", "store", ... (California's online-cancel gate)
    purchase_channel: str = "direct"  # direct | reseller | store
    sim_returned: bool = False
    # The discount or device subsidy granted for the commitment; EEA exit fees are capped to the
    # part of it not yet earned (remaining_benefit_pro_rata).
    commitment_benefit: Money | None = None


@dataclass(frozen=True, slots=True)
class CaseRequest:
    type: RequestType
    channel: Channel
    requested_date: date | None = None
    settlement: SettlementChoice | None = None
    transfer_to_msisdn: str | None = None
    suspend_until: date | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a value came from: the pack key path, its status and the ids of its sources."""

    path: str
    status: EvidenceStatus
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """A reason code with parameters, e.g. `Finding("min_topup_age", {"days": 3, "minimum": 30})`."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class MoneyItem:
    """One amount of the settlement; positive = the subscriber owes, negative = owed to them."""

    code: str  # early_exit_fee, cancellation_fee, device_instalments, unpaid_bills, prepaid_refund, ...
    amount: Money
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    effective_date: date | None
    billing_end_date: date | None
    sla_due_date: date | None
    currency: str
    charges: tuple[MoneyItem, ...]  # what the subscriber pays (all >= 0)
    balance_outcome: str | None  # refund | transfer | forfeit | none
    refund: Money  # paid out to the subscriber (>= 0, <= balance)
    transfer: Money  # moved to another number
    forfeit: Money  # lost
    blockers: tuple[Finding, ...]
    review_reasons: tuple[Finding, ...]
    identity_methods: tuple[str, ...]
    quarantine_until: date | None
    reactivation_deadline: date | None
    sim_return_required: bool
    sim_return_deadline: date | None
    checklist: tuple[Finding, ...]
    alternatives: tuple[Finding, ...]
    evidence: tuple[Evidence, ...]  # every value that decided this outcome
    pack_id: str
    pack_reviewed: date | None
    applied_to_debt: Money | None = None  # balance netted against unpaid bills, if the pack says so
    # How the pack says the subscriber hears about the case (review.confirmation_channels): sms,
    # email, letter, gov_portal. Empty in decisions frozen before it was recorded: no restriction.
    confirmation_channels: tuple[str, ...] = ()

    @property
    def total_due(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.charges:
            total = total + item.amount
        return total
