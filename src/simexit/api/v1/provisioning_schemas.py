"""Request and response bodies of provisioning (subscribers, lines, BSS events).

The request fields are `simexit.provisioning.rules`' public fields, declared as tightly as JSON
Schema can hold them (patterns, ranges, enums) so clients and fuzzers know the shape; the rules
themselves then check what a schema cannot: the number belongs to the operator's country, the
IMSI starts with its MCC, check digits, the currency, dates against today. Amounts are decimal
strings; null clears a field.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from simexit.api.v1.schemas import Money
from simexit.api.validators import (
    DATE_PATTERN,
    E164_FORMAT,
    E164_PATTERN,
    ICCID_FORMAT,
    ICCID_PATTERN,
    TIMESTAMP_PATTERN,
)
from simexit.models import Line, Subscriber
from simexit.provisioning.rules import EMAIL_PATTERN

# The same rule as `validators.ShortText`: no control characters but tab and line breaks.
_PRINTABLE = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"
# At most 9,999,999.99 (`rules.MAX_AMOUNT_MINOR`) with the two decimals of NOK, USD and RUB.
AMOUNT_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,2})?$"
CODE_PATTERN = r"^[a-z0-9_]{1,40}$"

Text100 = Annotated[str, Field(max_length=100, pattern=r"^[A-Za-z0-9._~:-]{1,100}$")]
Text = Annotated[str, Field(max_length=200, pattern=_PRINTABLE)]
Amount = Annotated[
    str,
    Field(
        pattern=AMOUNT_PATTERN,
        examples=["129.50"],
        description="A decimal string in the operator's currency, at most its minor digits.",
    ),
]
Day = Annotated[
    str,
    Field(
        json_schema_extra={"format": "date", "pattern": DATE_PATTERN},
        examples=["2025-01-15"],
        description="An ISO date.",
    ),
]
Token = Annotated[str, Field(pattern=CODE_PATTERN)]
ChannelToken = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,20}$")]
Msisdn = Annotated[
    str,
    Field(
        max_length=20,
        examples=["+4791234567"],
        description="E.164, a number of the operator's country.",
        json_schema_extra={"format": E164_FORMAT, "pattern": E164_PATTERN},
    ),
]
IccidText = Annotated[
    str,
    Field(
        examples=["8947010000000000010"],
        description="ITU-T E.118: 89, then digits; the last is the Luhn check digit.",
        json_schema_extra={"format": ICCID_FORMAT, "pattern": ICCID_PATTERN},
    ),
]
Imsi = Annotated[
    str,
    Field(pattern=r"^[0-9]{15}$", description="15 digits starting with the operator's MCC."),
]
Eid = Annotated[
    str,
    Field(pattern=r"^[0-9]{32}$", description="32 digits, ISO 7064 mod 97-10 check digits."),
]
Kind = Literal["physical_sim", "esim", "data_only"]
Plan = Literal["prepaid", "postpaid"]
Status = Literal["active", "suspended", "pending_termination", "terminated", "number_released"]
Flag = Literal["voluntary", "lost_stolen", "debt", "regulatory"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def values(self) -> dict[str, Any]:
        """The fields the caller sent (null included: it clears), by public name."""
        return self.model_dump(mode="json", exclude_unset=True)


class SubscriberFields(_Input):
    """Every field optional: PATCH changes what is given; PUT by external id creates or updates."""

    external_id: Text100 | None = Field(None, description="The operator's own id (BSS key).")
    full_name: Text | None = None
    email: Annotated[str, Field(max_length=320, pattern=EMAIL_PATTERN)] | None = None
    phone: Msisdn | None = Field(None, description="A contact number, E.164.")
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Za-z]{4})?$")] | None = Field(
        None, description="One of the operator's languages."
    )
    push_token: Annotated[str, Field(max_length=500, pattern=_PRINTABLE)] | None = None
    id_document_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{4,40}$")] | None = Field(
        None, description="Stored only as a keyed hash and its last 4 characters."
    )
    account_pin: Annotated[str, Field(pattern=r"^[0-9]{4,8}$")] | None = Field(
        None, description="Stored only as an argon2 hash."
    )


class SubscriberCreate(SubscriberFields):
    pass


class SubscriberRead(BaseModel):
    id: uuid.UUID
    operator_id: uuid.UUID
    external_id: str | None
    full_name: str | None
    email: str | None
    phone: str | None
    language: str
    id_document_last4: str | None
    has_account_pin: bool
    created_at: datetime
    updated_at: datetime | None
    erased: bool

    @classmethod
    def of(cls, subscriber: Subscriber) -> SubscriberRead:
        return cls(
            id=subscriber.id,
            operator_id=subscriber.operator_id,
            external_id=subscriber.external_id,
            full_name=subscriber.full_name,
            email=subscriber.email,
            phone=subscriber.phone_e164,
            language=subscriber.language,
            id_document_last4=subscriber.id_document_last4,
            has_account_pin=subscriber.account_pin_hash is not None,
            created_at=subscriber.created_at,
            updated_at=subscriber.updated_at,
            erased=subscriber.erased_at is not None,
        )


class SubscriberList(BaseModel):
    items: list[SubscriberRead]
    next_cursor: str | None = None
    next: str | None = None


class LineFields(_Input):
    """Every field optional: PATCH changes what is given; PUT by external id creates or updates
    (creating needs msisdn, kind, plan, activated_on and the subscriber)."""

    subscriber_id: uuid.UUID | None = Field(None, description="The subscriber, by simexit id.")
    subscriber_external_id: Text100 | None = Field(
        None, description="Or the subscriber by the operator's own id."
    )
    external_id: Text100 | None = Field(None, description="The operator's own id (BSS key).")
    # A line always has these: they may be left out of a PATCH, never cleared, so the schema
    # does not offer null (an explicit null is still refused by name: `required`).
    msisdn: Msisdn | SkipJsonSchema[None] = None
    kind: Kind | SkipJsonSchema[None] = None
    plan: Plan | SkipJsonSchema[None] = None
    status: Status | None = None
    product_name: Annotated[str, Field(max_length=120, pattern=_PRINTABLE)] | None = None
    brand: Annotated[str, Field(max_length=80, pattern=_PRINTABLE)] | None = None
    iccid: IccidText | None = None
    imsi: Imsi | None = None
    eid: Eid | None = None
    smdp_order_id: Annotated[str, Field(max_length=64, pattern=_PRINTABLE)] | None = None
    region: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")] | None = Field(
        None, description="ISO 3166-2 subdivision, e.g. CA."
    )
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | SkipJsonSchema[None] = Field(
        None, description="The operator's currency (the default)."
    )
    activated_on: Day | SkipJsonSchema[None] = None
    commitment_start: Day | None = None
    commitment_end: Day | None = None
    commitment_kind: Token | None = None
    commitment_benefit: Amount | None = None
    monthly_fee: Amount | None = None
    billing_cycle_day: Annotated[int, Field(ge=1, le=28)] | None = None
    plan_expiry: Day | None = None
    last_topup_on: Day | None = None
    last_chargeable_activity_on: Day | None = None
    balance: Amount | None = None
    bonus_balance: Amount | None = None
    unpaid_bills: Amount | None = None
    device_instalment: Amount | None = None
    linked_services: Annotated[list[Token], Field(max_length=20)] | None = None
    port_pending: bool | None = None
    purchase_channel: Literal["direct", "reseller", "store"] | None = None
    signed_up_channel: ChannelToken | None = None
    reseller_id: uuid.UUID | None = None
    suspension_flags: Annotated[list[Flag], Field(max_length=4)] | None = None
    suspended_since: Day | None = None
    suspensions_this_year: Annotated[int, Field(ge=0, le=366)] | None = None
    terminated_on: Day | None = None
    sim_return_required: bool | None = None
    sim_returned_at: (
        Annotated[str, Field(pattern=TIMESTAMP_PATTERN, json_schema_extra={"format": "date-time"})]
        | None
    ) = None


class LineCreate(LineFields):
    msisdn: Msisdn
    kind: Kind
    plan: Plan
    activated_on: Day
    subscriber_id: uuid.UUID = Field(
        description="The subscriber, by simexit id (the upsert by external id also takes "
        "subscriber_external_id)."
    )


class ProvisionedLine(BaseModel):
    """A line with every field provisioning sets; amounts as Money."""

    id: uuid.UUID
    operator_id: uuid.UUID
    subscriber_id: uuid.UUID
    reseller_id: uuid.UUID | None
    external_id: str | None
    msisdn: str
    kind: str
    plan: str
    status: str
    product_name: str | None
    brand: str | None
    iccid: str | None
    imsi: str | None
    eid: str | None
    region: str | None
    currency: str
    activated_on: date
    commitment_start: date | None
    commitment_end: date | None
    commitment_kind: str | None
    commitment_benefit: Money | None
    monthly_fee: Money | None
    billing_cycle_day: int | None
    plan_expiry: date | None
    last_topup_on: date | None
    last_chargeable_activity_on: date | None
    balance: Money
    bonus_balance: Money
    unpaid_bills: Money
    device_instalment: Money
    linked_services: list[str]
    port_pending: bool
    purchase_channel: str
    signed_up_channel: str | None
    suspension_flags: list[str]
    suspended_since: date | None
    suspensions_this_year: int
    terminated_on: date | None
    sim_return_required: bool
    sim_returned_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, line: Line) -> ProvisionedLine:
        currency = line.currency

        def money(minor: int | None) -> Money | None:
            return None if minor is None else Money.of(minor, currency)

        return cls(
            id=line.id,
            operator_id=line.operator_id,
            subscriber_id=line.subscriber_id,
            reseller_id=line.reseller_id,
            external_id=line.external_id,
            msisdn=line.msisdn,
            kind=line.kind,
            plan=line.plan,
            status=line.status,
            product_name=line.product_name,
            brand=line.brand,
            iccid=line.iccid,
            imsi=line.imsi,
            eid=line.eid,
            region=line.region,
            currency=currency,
            activated_on=line.activated_on,
            commitment_start=line.commitment_start,
            commitment_end=line.commitment_end,
            commitment_kind=line.commitment_kind,
            commitment_benefit=money(line.commitment_benefit_minor),
            monthly_fee=money(line.monthly_fee_minor),
            billing_cycle_day=line.billing_cycle_day,
            plan_expiry=line.plan_expiry,
            last_topup_on=line.last_topup_on,
            last_chargeable_activity_on=line.last_chargeable_activity_on,
            balance=Money.of(line.balance_minor, currency),
            bonus_balance=Money.of(line.bonus_balance_minor, currency),
            unpaid_bills=Money.of(line.unpaid_bills_minor, currency),
            device_instalment=Money.of(line.device_instalment_minor, currency),
            linked_services=list(line.linked_services or []),
            port_pending=line.port_pending,
            purchase_channel=line.purchase_channel,
            signed_up_channel=line.signed_up_channel,
            suspension_flags=list(line.suspension_flags or []),
            suspended_since=line.suspended_since,
            suspensions_this_year=line.suspensions_this_year,
            terminated_on=line.terminated_on,
            sim_return_required=line.sim_return_required,
            sim_returned_at=line.sim_returned_at,
            created_at=line.created_at,
            updated_at=line.updated_at,
        )


# --- BSS events ----------------------------------------------------------------------------

Note = Annotated[str, Field(max_length=2000, pattern=_PRINTABLE)]


class _Event(_Input):
    on: Day | None = Field(None, description="The day it happened; today when not given.")
    note: Note | None = None


class TopUp(_Event):
    type: Literal["top_up"]
    amount: Amount
    bonus_amount: Amount | None = Field(None, description="The part of amount that is bonus.")


class BillIssued(_Event):
    type: Literal["bill_issued"]
    amount: Amount


class BillPaid(_Event):
    type: Literal["bill_paid"]
    amount: Amount = Field(description="At most the line's unpaid bills.")


class ActivityMark(_Event):
    type: Literal["activity"]


class SimSwap(_Event):
    type: Literal["sim_swap"]
    iccid: IccidText
    imsi: Imsi | None = None
    eid: Eid | None = None


class IdentifiersChanged(_Event):
    type: Literal["identifiers_changed"]
    iccid: IccidText | None = None
    imsi: Imsi | None = None
    eid: Eid | None = None


LineEventCreate = Annotated[
    TopUp | BillIssued | BillPaid | ActivityMark | SimSwap | IdentifiersChanged,
    Field(discriminator="type"),
]


class LineEventResult(BaseModel):
    line: ProvisionedLine
    changed: list[str] = Field(description="The line's columns the event changed.")
    cases_resubmitted: list[uuid.UUID] = Field(
        description="Blocked cases of the line that the policy no longer blocks, submitted again."
    )
