"""The shape of a policy pack, validated with pydantic. Pure: no I/O.

A pack file is a *layer*: country, operator or region. The loader merges layers into one
document and validates it against `PackDocument`. Any leaf that states a fact may be written
either plainly (`14`) or with its evidence (`{value: 14, status: V, src: [nkom], as_of: ...}`);
`Ev[T]` accepts both and always holds the evidence.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simexit.kit.money import MINOR_UNIT_EXPONENT
from simexit.policies.model import Channel, EvidenceStatus, LineKind, Plan, RequestType

T = TypeVar("T")

Amount = Annotated[Decimal, Field(ge=0, description="money in the pack's currency, e.g. '325.00'")]
Days = Annotated[int, Field(ge=0)]

PRODUCT_NAMES = ("prepaid", "postpaid", "data_only", "esim", "physical_sim")


# A value the schema fills in when a pack is silent has no research behind it: unverified, and
# says so (never shown as verified).
SCHEMA_DEFAULT_NOTE = "schema default: no pack states this value and no research is behind it"
_DEFAULT: dict[str, Any] = {"status": EvidenceStatus.unverified, "note": SCHEMA_DEFAULT_NOTE}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ev(Strict, Generic[T]):
    """A value with its provenance. A plain YAML value is wrapped as set by the pack (status V)."""

    value: T
    status: EvidenceStatus = EvidenceStatus.verified
    src: tuple[str, ...] = ()
    as_of: date | None = None
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _wrap_plain_value(cls, data: Any) -> Any:
        if isinstance(data, dict) and "value" in data:
            return data
        return {"value": data}


class EffectiveRule(StrEnum):
    immediate = "immediate"
    next_day = "next_day"
    end_of_billing_cycle = "end_of_billing_cycle"
    end_of_calendar_month = "end_of_calendar_month"
    one_calendar_month_from_first_of_next_month = "one_calendar_month_from_first_of_next_month"
    n_days = "n_days"
    on_port_completion = "on_port_completion"
    plan_expiry = "plan_expiry"


class EarlyExitType(StrEnum):
    none = "none"
    etf_linear = "etf_linear"
    remaining_benefit_pro_rata = "remaining_benefit_pro_rata"
    remaining_fees = "remaining_fees"


class DeviceBalanceDue(StrEnum):
    next_bill = "next_bill"
    final_bill = "final_bill"
    continue_schedule = "continue_schedule"


class UnpaidBillsPolicy(StrEnum):
    block = "block"
    instalment_plan = "instalment_plan"
    net_against_balance = "net_against_balance"


class BalancePolicy(StrEnum):
    refund_on_request = "refund_on_request"
    transfer_to_number = "transfer_to_number"
    forfeit = "forfeit"


class ReviewMode(StrEnum):
    auto = "auto"
    manual = "manual"


class GateRule(StrEnum):
    """Machine-checkable regulatory predicates the engine knows how to run."""

    max_sim_count = (
        "max_sim_count"  # params.limit: block the request when the subscriber holds more
    )
    online_cancel_if_signed_up_online = "online_cancel_if_signed_up_online"  # grants web/app
    notice_only = "notice_only"  # a duty shown to people, not checked per request


class OperatorInfo(Strict):
    legal_name: str
    org_id: str | None = None
    brands: tuple[str, ...] = ()


class PackHeader(Strict):
    id: str = Field(pattern=r"^[a-z]{2,8}/[a-z0-9_-]+$")
    kind: Literal["country", "operator", "region"]
    extends: tuple[str, ...] = ()
    country: str = Field(pattern=r"^[A-Z]{2}$")
    region: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,3}$")
    operator: OperatorInfo | None = None
    reviewed: date | None = None


class Source(Strict):
    # A public address: a value whose source was never captured is unverified and says so in
    # its note, rather than citing the research notes.
    url: str = Field(pattern=r"^https?://")
    title: str
    retrieved: date | None = None
    kind: Literal["primary", "secondary", "unverified"]


class Locale(Strict):
    currency: str
    timezone: str
    languages: tuple[str, ...] = Field(min_length=1)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in MINOR_UNIT_EXPONENT:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(MINOR_UNIT_EXPONENT))}")
        return value

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone") from None
        return value


class Review(Strict):
    mode: Ev[ReviewMode]
    sla_business_days: Ev[Days]
    calendar: Ev[str]
    confirmation_channels: Ev[tuple[Literal["sms", "email", "letter", "gov_portal"], ...]]

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: Ev[str]) -> Ev[str]:
        from simexit.policies.business_days import check_calendar

        check_calendar(value.value)
        return value


class ChannelRule(Strict):
    channel: Channel
    identity: tuple[str, ...] = ()
    request_types: tuple[RequestType, ...] = tuple(RequestType)
    plans: tuple[Plan, ...] = tuple(Plan)
    kinds: tuple[LineKind, ...] = tuple(LineKind)
    address: str | None = None
    # Set on channels the operator opens by running simexit (its portal and app), which are a
    # deployment choice rather than a published fact; guides show them as such.
    via_simexit: bool = False
    # The listed identity methods are the only ones this channel takes: simexit refuses any
    # other with the needed method named (Telenor online needs BankID), instead of sending the
    # case to review with `identity_method_differs`.
    identity_required: bool = False


class Notice(Strict):
    effective_rule: Ev[EffectiveRule]
    n_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    refund_overbilled_beyond_notice: Ev[bool] = Ev[bool](value=False, **_DEFAULT)


class EarlyExitRule(Strict):
    applies_to: str = "any"  # a LineFacts.commitment_kind, or "any"
    type: EarlyExitType
    amount: Amount | None = None
    decrement_per_month: Amount | None = None
    admin_fee: Amount | None = None
    free_window_days: Days | None = None  # no fee when cancelled within this many days of the start
    # "remaining_fees": never more than the monthly fees left until the commitment ends (the EEA
    # cap on compensation: the lower of the pro-rata benefit and the remaining fees).
    cap: Literal["none", "remaining_fees"] = "none"


class Commitment(Strict):
    max_months: Ev[Days | None]
    early_exit: tuple[Ev[EarlyExitRule], ...] = ()
    free_exit_on_adverse_change: Ev[bool] = Ev[bool](value=True, **_DEFAULT)


class Cancellation(Strict):
    channels: Ev[tuple[ChannelRule, ...]]
    notice: Notice
    cancellation_fee: Ev[Amount] = Ev[Amount](value=Decimal(0), **_DEFAULT)
    commitment: Commitment
    device_balance_due_on_cancel: Ev[DeviceBalanceDue]
    unpaid_bills: Ev[UnpaidBillsPolicy]
    cooling_off_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    # Conditions the operator sets before it accepts a termination, shown to the subscriber.
    termination_preconditions: Ev[tuple[Literal["no_roaming_in_prior_2_months"], ...]] = Ev[
        tuple[Literal["no_roaming_in_prior_2_months"], ...]
    ](value=(), **_DEFAULT)


class Identity(Strict):
    at_termination: Ev[tuple[str, ...]]
    who_may_cancel: Ev[tuple[str, ...]]
    document_check_record_required: Ev[bool]


class BalanceOnCancel(Strict):
    policy: BalancePolicy
    min_payout: Amount | None = None
    excluded: tuple[Literal["bonus", "promo"], ...] = ()
    methods: tuple[Literal["bank_transfer", "same_operator_number", "card"], ...] = ()


AccountFormat = Literal["no_account", "iban", "us_account", "ru_account"]


class InactivityRule(Strict):
    trigger: Literal["no_topup", "no_chargeable_event", "zero_balance"]
    after_days: Days
    action: Literal["suspend_outgoing", "daily_fee", "terminate"]
    fee: Amount | None = None


class Prepaid(Strict):
    balance_on_cancel: Ev[BalanceOnCancel]
    refund_on_switch: Ev[
        bool
    ]  # EECC art. 106(6): remaining credit refunded on request when switching
    min_days_since_last_topup: Ev[Days | None]
    inactivity: tuple[Ev[InactivityRule], ...] = ()
    # The bank account forms the country's banks take for a refund by `bank_transfer`; empty:
    # not researched, so a bank refund cannot be captured and goes to an agent.
    refund_account_formats: Ev[tuple[AccountFormat, ...]] = Ev[tuple[AccountFormat, ...]](
        value=(), **_DEFAULT
    )


class Porting(Strict):
    ends_donor_contract: Ev[Literal[True]]
    donor_billing_until: Ev[Literal["port_completion", "end_of_billing_cycle"]]
    authorisation: Ev[tuple[str, ...]]
    min_lead_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    max_lead_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    fee: Ev[Amount | None] = Ev[Amount | None](value=None, **_DEFAULT)
    blocks_on_debt: Ev[bool]


class Numbering(Strict):
    quarantine_days: Ev[Days | None]
    quarantine_max_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    record_disconnection_date: Ev[bool]
    # Mobile country codes (ITU-T E.212) the country's IMSIs begin with: provisioning checks them.
    mobile_country_codes: Ev[tuple[str, ...]] = Ev[tuple[str, ...]](value=(), **_DEFAULT)


class Sim(Strict):
    physical_return_required: Ev[bool]
    return_within_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    non_return_fee: Ev[Amount] = Ev[Amount](value=Decimal(0), **_DEFAULT)
    esim_profile_deletion_cancels: Literal[False] = False  # an invariant, stated for readers


class Suspension(Strict):
    allowed: Ev[bool]
    max_days: Ev[Days | None]
    times_per_year: Ev[Days | None]
    fee: Ev[Amount]
    during_commitment: Ev[bool] = Ev[bool](value=True, **_DEFAULT)
    # What `times_per_year` counts: suspensions in the calendar year, or over the number's life
    # ("at most twice per number").
    counted_per: Ev[Literal["calendar_year", "number"]] = Ev[Literal["calendar_year", "number"]](
        value="calendar_year", **_DEFAULT
    )


class Reactivation(Strict):
    window_days: Ev[Days | None]  # None: a terminated line cannot be reactivated
    fee: Ev[Amount]


class RetentionRule(Strict):
    days: Days | None  # None: "as long as needed for the purpose"
    basis: str


class DataProtection(Strict):
    regime: Ev[tuple[str, ...]]
    retention: dict[str, Ev[RetentionRule]] = Field(default_factory=dict)
    # How long an erasure asked for may take: calendar months where the law says "one month"
    # (GDPR art. 12(3)), else days; the months win when a pack gives both.
    erasure_deadline_days: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)
    erasure_deadline_months: Ev[Days | None] = Ev[Days | None](value=None, **_DEFAULT)


class RetentionOffer(Strict):
    """An offer the operator makes instead of a cancellation, shown after the consequences and
    never required. `pause` opens a suspension request; `cheaper_plan` is passed on to the
    operator (webhook `line.retention_offer_accepted`). `text_key` names the sentence shown
    (`web.texts.RETENTION_OFFER`); empty `plans` means every plan."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    kind: Literal["pause", "cheaper_plan"]
    text_key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    plans: tuple[Literal["prepaid", "postpaid"], ...] = ()


class Gate(Strict):
    rule: GateRule
    applies_to: tuple[RequestType, ...] = tuple(RequestType)
    params: dict[str, int | str] = Field(default_factory=dict)


class PackDocument(Strict):
    """A complete, merged pack: country + operator (+ product and region layers)."""

    pack: PackHeader
    sources: dict[str, Source] = Field(default_factory=dict)
    locale: Locale
    review: Review
    cancellation: Cancellation
    identity: Identity
    prepaid: Prepaid
    porting: Porting
    numbering: Numbering
    sim: Sim
    suspension: Suspension
    reactivation: Reactivation
    data_protection: DataProtection
    regulatory_gates: dict[str, Ev[Gate]] = Field(default_factory=dict)
    products: dict[
        Literal["prepaid", "postpaid", "data_only", "esim", "physical_sim"], dict[str, Any]
    ] = Field(default_factory=dict)
    # Offers shown beside the cancel action (optional; the operator's own commercial choice).
    retention_offers: tuple[Ev[RetentionOffer], ...] = ()


TOP_LEVEL_KEYS = frozenset(PackDocument.model_fields)
