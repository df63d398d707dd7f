"""Field rules for subscribers and lines an operator provisions. Pure: no I/O, no clock.

One set of rules serves the provisioning API, the BSS events and the bulk import, so a value
refused by one is refused by all, with the same field name and rule code.

`check_subscriber` / `check_line` take PUBLIC field names with JSON-like values, also in the
string forms a CSV cell gives: amounts as decimal strings (`"129.50"`, never floats), dates as
ISO strings, booleans `"true"`/`"false"`, lists as JSON arrays or `;`-separated strings; `""`
is absent. They return the cleaned values keyed by MODEL COLUMN name (`msisdn` in E.164,
`balance` -> `balance_minor`, dates as `date`) plus every problem found, not only the first.

Two subscriber fields are secrets and come back under their own keys, not as columns:
`id_document_number` (normalised) and `account_pin`. `simexit.provisioning.secrets.seal` turns
them into `id_document_hash` + `id_document_last4` and `account_pin_hash`; nothing else may
store them.

Bulk import columns (CSV header or JSON Lines keys) — exactly these:

- a line row: every name in `PUBLIC_LINE_FIELDS`; `subscriber_external_id` links the line to its
  subscriber (required on import); the subscriber's own fields may ride on the same row, each
  prefixed `subscriber_` (`subscriber_full_name`, `subscriber_email`, ...; see
  `IMPORT_SUBSCRIBER_COLUMNS`).

Line fields: external_id, msisdn, kind, plan, status, product_name, brand, iccid, imsi, eid,
smdp_order_id, region, currency, activated_on, commitment_start, commitment_end,
commitment_kind, commitment_benefit, monthly_fee, billing_cycle_day, plan_expiry,
last_topup_on, last_chargeable_activity_on, balance, bonus_balance, unpaid_bills,
device_instalment, linked_services, port_pending, purchase_channel, signed_up_channel,
reseller_id, suspension_flags, suspended_since, suspensions_this_year, terminated_on,
sim_return_required, sim_returned_at.

Subscriber fields: external_id, full_name, email, phone, language, push_token,
id_document_number, account_pin.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

import phonenumbers
from stdnum.iso7064 import mod_97_10

from simexit.kit.money import Money, MoneyError, exponent_of
from simexit.kit.numbers import is_e164_mobile, luhn_valid
from simexit.kit.problems import FieldProblem as FieldProblem  # the rules report these
from simexit.lines.states import LineStatus, SuspensionFlag
from simexit.policies.model import LineKind, Plan
from simexit.verification.secrets import normalise_document_number as normalise_document_number


@dataclass(frozen=True, slots=True)
class OperatorFacts:
    """What validation needs to know of the operator (from its row and its policy pack)."""

    country: str  # ISO 3166-1 alpha-2, e.g. "NO"
    currency: str  # ISO 4217
    mobile_country_codes: tuple[str, ...]  # ITU-T E.212, from the pack
    languages: tuple[str, ...] = ()  # the languages a subscriber may be written to in
    regions: tuple[str, ...] = ()  # regions the pack knows rules for (e.g. "CA"); informative


class _Refused(Exception):
    def __init__(self, rule: str, detail: str, **params: str) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.params = params


# The earliest day any date field may hold, and how far ahead a date may lie: a year 1900 or
# 3000 is a typing or format error, not a contract.
EARLIEST_DATE: Final = date(1980, 1, 1)
LATEST_YEARS_AHEAD: Final = 50

ICCID_LENGTHS: Final = range(18, 21)  # ITU-T E.118: up to 19 digits + the Luhn check digit
ICCID_PREFIX: Final = "89"  # E.118: major industry identifier 89 (telecommunications)
IMSI_LENGTH: Final = 15  # ITU-T E.212: MCC (3) + MNC (2-3) + MSIN, 15 digits at most
EID_LENGTH: Final = 32  # GSMA SGP.29

# The largest amount in minor units a line holds: its columns are 32-bit integers (PostgreSQL
# INTEGER), and 9,999,999.99 is far above any phone bill.
MAX_AMOUNT_MINOR: Final = 999_999_999
PURCHASE_CHANNELS: Final = ("direct", "reseller", "store")
_DIGITS = re.compile(r"\d+")
EXTERNAL_ID: Final = re.compile(r"[A-Za-z0-9._~:-]{1,100}")
_TOKEN = re.compile(r"[a-z0-9_]{1,40}")
# A channel's name is a column of 20 (`Line.signed_up_channel`).
_CHANNEL_TOKEN = re.compile(r"[a-z0-9_]{1,20}")
_REGION = re.compile(r"[A-Z0-9]{1,3}")
# One explicit class, no \s: Python's \s holds \x1c-\x1f and U+0085, JSON Schema's (ECMA) holds
# U+FEFF; spelled out, the rule and the API's published pattern (`EMAIL_PATTERN`) agree.
EMAIL_CHARACTER: Final = (
    "[^@\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
)
EMAIL_PATTERN: Final = f"^{EMAIL_CHARACTER}+@{EMAIL_CHARACTER}+\\.{EMAIL_CHARACTER}+$"
_EMAIL = re.compile(EMAIL_PATTERN[1:-1])
_PIN = re.compile(r"\d{4,8}")
_DOCUMENT = re.compile(r"[A-Z0-9]{4,40}")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


@dataclass(frozen=True, slots=True)
class _Context:
    operator: OperatorFacts
    today: date


Parser = Callable[[object, _Context], object]


@dataclass(frozen=True, slots=True)
class _Field:
    column: str
    parse: Parser
    required: bool = False
    # What a null sets on a column that cannot be NULL; `None` means the column takes NULL.
    null_value: object = None
    not_nullable: bool = False
    default: object = None  # set on create when the field is not given


# --- parsers: each returns the clean value or raises _Refused ---------------------------------


def _text(max_length: int) -> Parser:
    def parse(value: object, _ctx: _Context) -> str:
        if not isinstance(value, str):
            raise _Refused("string", "must be a string")
        text = value.strip()
        if len(text) > max_length:
            raise _Refused(
                "max_length", f"must be at most {max_length} characters", max=str(max_length)
            )
        return text

    return parse


def _one_of(choices: tuple[str, ...]) -> Parser:
    def parse(value: object, _ctx: _Context) -> str:
        if not isinstance(value, str) or value.strip() not in choices:
            raise _Refused(
                "one_of", f"must be one of: {', '.join(choices)}", choices=", ".join(choices)
            )
        return value.strip()

    return parse


def _external_id(value: object, _ctx: _Context) -> str:
    """URL-safe, so the id can stand in a path (`PUT /v1/lines/by-external-id/{external_id}`)."""
    if not isinstance(value, str) or not EXTERNAL_ID.fullmatch(value.strip()):
        raise _Refused("external_id_format", "must be 1 to 100 letters, digits or . _ ~ : -")
    return value.strip()


def _token(value: object, _ctx: _Context) -> str:
    if not isinstance(value, str) or not _TOKEN.fullmatch(value.strip()):
        raise _Refused("token", "must be a short lower-case code (letters, digits, _)")
    return value.strip()


def _channel_token(value: object, _ctx: _Context) -> str:
    if not isinstance(value, str) or not _CHANNEL_TOKEN.fullmatch(value.strip()):
        raise _Refused("token", "must be a lower-case code of at most 20 (letters, digits, _)")
    return value.strip()


def _digits(value: object, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _Refused(f"{what}_format", "must be a string of digits")
    digits = re.sub(r"[\s-]", "", value)
    if not _DIGITS.fullmatch(digits):
        raise _Refused(f"{what}_format", "must hold digits only")
    return digits


def _msisdn(value: object, ctx: _Context) -> str:
    return _phone(value, ctx, country=ctx.operator.country, rule="e164_for_country")


def _contact_phone(value: object, ctx: _Context) -> str:
    return _phone(value, ctx, country=None, rule="e164")


def _phone(value: object, ctx: _Context, *, country: str | None, rule: str) -> str:
    where = f" for {country}" if country else ""
    if not isinstance(value, str):
        raise _Refused(rule, f"must be a phone number in E.164 form{where}", country=country or "")
    if country and is_e164_mobile(value.strip(), country):
        return value.strip()  # the common case in a base file, without the full parser
    try:
        number = phonenumbers.parse(value, country or ctx.operator.country)
    except phonenumbers.NumberParseException:
        raise _Refused(
            rule, f"is not a phone number; use E.164 form{where}", country=country or ""
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise _Refused(rule, f"is not a valid phone number{where}", country=country or "")
    if country and phonenumbers.region_code_for_number(number) != country:
        raise _Refused(rule, f"is not a number of {country}", country=country)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _iccid(value: object, _ctx: _Context) -> str:
    digits = _digits(value, "iccid")
    if len(digits) not in ICCID_LENGTHS or not digits.startswith(ICCID_PREFIX):
        raise _Refused("iccid_format", "must be 18 to 20 digits starting with 89 (ITU-T E.118)")
    if not luhn_valid(digits):
        raise _Refused("iccid_luhn", "has a wrong check digit (Luhn)")
    return digits


def _imsi(value: object, ctx: _Context) -> str:
    digits = _digits(value, "imsi")
    if len(digits) != IMSI_LENGTH:
        raise _Refused("imsi_format", f"must be {IMSI_LENGTH} digits (ITU-T E.212)")
    codes = ctx.operator.mobile_country_codes
    if codes and digits[:3] not in codes:
        raise _Refused(
            "imsi_mcc",
            f"must start with a mobile country code of the operator: {', '.join(codes)}",
            codes=", ".join(codes),
        )
    return digits


def _eid(value: object, _ctx: _Context) -> str:
    digits = _digits(value, "eid")
    if len(digits) != EID_LENGTH:
        raise _Refused("eid_format", f"must be {EID_LENGTH} digits (GSMA SGP.29)")
    if not mod_97_10.is_valid(digits):
        raise _Refused("eid_check_digits", "has wrong check digits (ISO 7064 mod 97-10)")
    return digits


def _enum(values: tuple[str, ...]) -> Parser:
    return _one_of(values)


def _currency(value: object, ctx: _Context) -> str:
    if not isinstance(value, str) or value.strip().upper() != ctx.operator.currency:
        raise _Refused(
            "currency_of_operator",
            f"must be the operator's currency, {ctx.operator.currency}",
            currency=ctx.operator.currency,
        )
    return ctx.operator.currency


def _amount(*, negative: bool = False) -> Parser:
    def parse(value: object, ctx: _Context) -> int:
        currency = ctx.operator.currency
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _Refused(
                "decimal_amount",
                'must be a decimal string such as "129.50"',
                digits=str(exponent_of(currency)),
                currency=currency,
            )
        try:
            money = Money.parse(str(value).strip(), currency)
        except MoneyError:
            digits = exponent_of(currency)
            raise _Refused(
                "decimal_amount",
                f"must be a decimal amount with at most {digits} decimals for {currency}",
                digits=str(digits),
                currency=currency,
            ) from None
        if money.minor < 0 and not negative:
            raise _Refused("not_negative", "must not be negative")
        if abs(money.minor) > MAX_AMOUNT_MINOR:
            raise _Refused(
                "amount_range",
                f"must be at most {Money(MAX_AMOUNT_MINOR, currency).as_str()}",
                max=Money(MAX_AMOUNT_MINOR, currency).as_str(),
            )
        return money.minor

    return parse


def _integer(low: int, high: int) -> Parser:
    def parse(value: object, _ctx: _Context) -> int:
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Refused("integer", "must be a whole number")
        if not low <= value <= high:
            raise _Refused(
                "int_range", f"must be from {low} to {high}", low=str(low), high=str(high)
            )
        return value

    return parse


def _boolean(value: object, _ctx: _Context) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Refused("boolean", "must be true or false")


def _date(*, past_only: bool = False) -> Parser:
    def parse(value: object, ctx: _Context) -> date:
        if isinstance(value, datetime) or not isinstance(value, str | date):
            raise _Refused("date", "must be a date in ISO form, YYYY-MM-DD")
        try:
            day = value if isinstance(value, date) else date.fromisoformat(value.strip())
        except ValueError:
            raise _Refused("date", "must be a date in ISO form, YYYY-MM-DD") from None
        latest = ctx.today if past_only else _years_ahead(ctx.today)
        if not EARLIEST_DATE <= day <= latest:
            raise _Refused(
                "date_range",
                f"must be from {EARLIEST_DATE} to {latest}",
                earliest=str(EARLIEST_DATE),
                latest=str(latest),
            )
        return day

    return parse


def _years_ahead(today: date) -> date:
    return today.replace(year=today.year + LATEST_YEARS_AHEAD, day=min(today.day, 28))


def _timestamp(value: object, ctx: _Context) -> datetime:
    if not isinstance(value, str | datetime):
        raise _Refused("datetime", "must be an ISO 8601 time with its UTC offset")
    try:
        moment = (
            value if isinstance(value, datetime) else datetime.fromisoformat(value.strip().upper())
        )
    except ValueError:
        raise _Refused("datetime", "must be an ISO 8601 time with its UTC offset") from None
    if moment.tzinfo is None:
        raise _Refused("datetime", "must carry a UTC offset, e.g. 2026-12-03T10:00:00+01:00")
    latest = datetime.combine(ctx.today + timedelta(days=1), datetime.min.time(), UTC)
    if not datetime.combine(EARLIEST_DATE, datetime.min.time(), UTC) <= moment <= latest:
        raise _Refused(
            "date_range",
            f"must be from {EARLIEST_DATE} to today",
            earliest=str(EARLIEST_DATE),
            latest=str(ctx.today),
        )
    return moment.astimezone(UTC)


def _items(value: object) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise _Refused("list", "must be a JSON array or ;-separated values") from None
        else:
            return [part.strip() for part in text.split(";") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _Refused("list", "must be a list of strings")
    return [v.strip() for v in value if v.strip()]


def _token_list(value: object, _ctx: _Context) -> list[str]:
    items = _items(value)
    for item in items:
        if not _TOKEN.fullmatch(item):
            raise _Refused("token", f"{item!r} is not a short lower-case code")
    return sorted(set(items))


def _flags(value: object, _ctx: _Context) -> list[str]:
    items = _items(value)
    known = tuple(flag.value for flag in SuspensionFlag)
    for item in items:
        if item not in known:
            raise _Refused(
                "one_of", f"each must be one of: {', '.join(known)}", choices=", ".join(known)
            )
    return sorted(set(items))


def _region(value: object, _ctx: _Context) -> str:
    if not isinstance(value, str) or not _REGION.fullmatch(value.strip().upper()):
        raise _Refused("region_code", "must be a subdivision code such as CA (ISO 3166-2)")
    return value.strip().upper()


def _uuid(value: object, _ctx: _Context) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise _Refused("uuid", "must be a UUID") from None


def _email(value: object, ctx: _Context) -> str:
    text = _text(320)(value, ctx)
    assert isinstance(text, str)  # noqa: S101 - _text returns a string
    if not _EMAIL.fullmatch(text):
        raise _Refused("email", "must be an e-mail address")
    return text


def _language(value: object, ctx: _Context) -> str:
    languages = ctx.operator.languages
    if not isinstance(value, str) or (languages and value.strip() not in languages):
        raise _Refused(
            "language_of_operator",
            f"must be one of the operator's languages: {', '.join(languages)}",
            choices=", ".join(languages),
        )
    return value.strip()


def _pin(value: object, _ctx: _Context) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise _Refused("pin_format", "must be a string of 4 to 8 digits")
    if not isinstance(value, str) or not _PIN.fullmatch(value.strip()):
        raise _Refused("pin_format", "must be 4 to 8 digits")
    return value.strip()


def _document(value: object, _ctx: _Context) -> str:
    if not isinstance(value, str):
        raise _Refused("id_document_format", "must be a string")
    normalised = normalise_document_number(value)
    if not _DOCUMENT.fullmatch(normalised):
        raise _Refused("id_document_format", "must be 4 to 40 letters or digits")
    return normalised


# --- the field sets ------------------------------------------------------------------------

_KINDS = tuple(kind.value for kind in LineKind)
_PLANS = tuple(plan.value for plan in Plan)
_STATUSES = tuple(status.value for status in LineStatus)

_LINE_FIELDS: Final[dict[str, _Field]] = {
    "external_id": _Field("external_id", _external_id),
    "msisdn": _Field("msisdn", _msisdn, required=True),
    "kind": _Field("kind", _enum(_KINDS), required=True),
    "plan": _Field("plan", _enum(_PLANS), required=True),
    "status": _Field(
        "status", _enum(_STATUSES), not_nullable=True, null_value="active", default="active"
    ),
    "product_name": _Field("product_name", _text(120)),
    "brand": _Field("brand", _text(80)),
    "iccid": _Field("iccid", _iccid),
    "imsi": _Field("imsi", _imsi),
    "eid": _Field("eid", _eid),
    "smdp_order_id": _Field("smdp_order_id", _text(64)),
    "region": _Field("region", _region),
    "currency": _Field("currency", _currency, not_nullable=True),
    "activated_on": _Field("activated_on", _date(past_only=False), required=True),
    "commitment_start": _Field("commitment_start", _date()),
    "commitment_end": _Field("commitment_end", _date()),
    "commitment_kind": _Field("commitment_kind", _token),
    "commitment_benefit": _Field("commitment_benefit_minor", _amount()),
    "monthly_fee": _Field("monthly_fee_minor", _amount()),
    "billing_cycle_day": _Field("billing_cycle_day", _integer(1, 28)),
    "plan_expiry": _Field("plan_expiry", _date()),
    "last_topup_on": _Field("last_topup_on", _date(past_only=True)),
    "last_chargeable_activity_on": _Field("last_chargeable_activity_on", _date(past_only=True)),
    "balance": _Field("balance_minor", _amount(), not_nullable=True, null_value=0, default=0),
    "bonus_balance": _Field(
        "bonus_balance_minor", _amount(), not_nullable=True, null_value=0, default=0
    ),
    "unpaid_bills": _Field(
        "unpaid_bills_minor", _amount(), not_nullable=True, null_value=0, default=0
    ),
    "device_instalment": _Field(
        "device_instalment_minor", _amount(), not_nullable=True, null_value=0, default=0
    ),
    "linked_services": _Field(
        "linked_services", _token_list, not_nullable=True, null_value=[], default=[]
    ),
    "port_pending": _Field(
        "port_pending", _boolean, not_nullable=True, null_value=False, default=False
    ),
    "purchase_channel": _Field(
        "purchase_channel",
        _one_of(PURCHASE_CHANNELS),
        not_nullable=True,
        null_value="direct",
        default="direct",
    ),
    "signed_up_channel": _Field("signed_up_channel", _channel_token),
    "reseller_id": _Field("reseller_id", _uuid),
    "suspension_flags": _Field(
        "suspension_flags", _flags, not_nullable=True, null_value=[], default=[]
    ),
    "suspended_since": _Field("suspended_since", _date(past_only=True)),
    "suspensions_this_year": _Field(
        "suspensions_this_year", _integer(0, 366), not_nullable=True, null_value=0, default=0
    ),
    "terminated_on": _Field("terminated_on", _date(past_only=True)),
    "sim_return_required": _Field(
        "sim_return_required", _boolean, not_nullable=True, null_value=False, default=False
    ),
    "sim_returned_at": _Field("sim_returned_at", _timestamp),
}

_SUBSCRIBER_FIELDS: Final[dict[str, _Field]] = {
    "external_id": _Field("external_id", _external_id),
    "full_name": _Field("full_name", _text(200)),
    "email": _Field("email", _email),
    "phone": _Field("phone_e164", _contact_phone),
    "language": _Field("language", _language, not_nullable=True, null_value="en"),
    "push_token": _Field("push_token", _text(500)),
    # Secrets: cleaned under their own names, sealed by `secrets.seal` (never a column).
    "id_document_number": _Field("id_document_number", _document),
    "account_pin": _Field("account_pin", _pin),
}

PUBLIC_LINE_FIELDS: Final[tuple[str, ...]] = tuple(_LINE_FIELDS)
PUBLIC_SUBSCRIBER_FIELDS: Final[tuple[str, ...]] = tuple(_SUBSCRIBER_FIELDS)
SECRET_SUBSCRIBER_FIELDS: Final[frozenset[str]] = frozenset({"id_document_number", "account_pin"})
# The column of each public field (a public name may differ: balance -> balance_minor).
LINE_COLUMNS: Final[dict[str, str]] = {name: spec.column for name, spec in _LINE_FIELDS.items()}
SUBSCRIBER_COLUMNS: Final[dict[str, str]] = {
    name: spec.column for name, spec in _SUBSCRIBER_FIELDS.items()
}
# Bulk import: the line's link to its subscriber and the subscriber's columns on a line row.
SUBSCRIBER_LINK_COLUMN: Final = "subscriber_external_id"
SUBSCRIBER_PREFIX: Final = "subscriber_"
IMPORT_SUBSCRIBER_COLUMNS: Final[tuple[str, ...]] = tuple(
    SUBSCRIBER_PREFIX + name for name in PUBLIC_SUBSCRIBER_FIELDS if name != "external_id"
)
IMPORT_COLUMNS: Final[tuple[str, ...]] = (
    *PUBLIC_LINE_FIELDS,
    SUBSCRIBER_LINK_COLUMN,
    *IMPORT_SUBSCRIBER_COLUMNS,
)


def check_subscriber(
    values: Mapping[str, object], operator: OperatorFacts, *, today: date, partial: bool = False
) -> tuple[dict[str, object], list[FieldProblem]]:
    """A subscriber's fields, cleaned, and every problem with them."""
    return _check(_SUBSCRIBER_FIELDS, values, _Context(operator, today), partial=partial)


def check_line(
    values: Mapping[str, object], operator: OperatorFacts, *, today: date, partial: bool = False
) -> tuple[dict[str, object], list[FieldProblem]]:
    """A line's fields, cleaned, and every problem with them (including between fields)."""
    cleaned, problems = _check(_LINE_FIELDS, values, _Context(operator, today), partial=partial)
    if not partial:
        cleaned.setdefault("currency", operator.currency)
    problems.extend(_line_cross_checks(cleaned, {p.field for p in problems}))
    return cleaned, problems


def _check(
    specs: Mapping[str, _Field], values: Mapping[str, object], ctx: _Context, *, partial: bool
) -> tuple[dict[str, object], list[FieldProblem]]:
    # Walks the given values, then the few fields that are required or have a default, rather
    # than every field for every value: a bulk import runs this a million times.
    cleaned: dict[str, object] = {}
    problems: list[FieldProblem] = []
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            problems.append(FieldProblem(name, "unknown_field", "is not a field of this resource"))
        elif value is None:
            _set_null(name, spec, cleaned, problems)
        elif not _blank(value):
            try:
                cleaned[spec.column] = spec.parse(value, ctx)
            except _Refused as refused:
                problems.append(FieldProblem(name, refused.rule, refused.detail, refused.params))
    if not partial:
        for name, spec in _required_or_defaulted(specs):
            if name in values and not _blank(values[name]):
                continue
            if spec.required:
                problems.append(FieldProblem(name, "required", "is required"))
            else:
                cleaned[spec.column] = _copy(spec.default)
    if len(problems) > 1:
        order = _field_order(specs)
        problems.sort(key=lambda p: order.get(p.field, -1))  # unknown fields first, then as listed
    return cleaned, problems


_SPEC_FACTS: dict[int, tuple[tuple[tuple[str, _Field], ...], dict[str, int]]] = {}


def _facts_of(
    specs: Mapping[str, _Field],
) -> tuple[tuple[tuple[str, _Field], ...], dict[str, int]]:
    found = _SPEC_FACTS.get(id(specs))
    if found is None:
        wanted = tuple(
            (name, spec)
            for name, spec in specs.items()
            if spec.required or spec.default is not None
        )
        found = _SPEC_FACTS[id(specs)] = (wanted, {name: i for i, name in enumerate(specs)})
    return found


def _required_or_defaulted(specs: Mapping[str, _Field]) -> tuple[tuple[str, _Field], ...]:
    return _facts_of(specs)[0]


def _field_order(specs: Mapping[str, _Field]) -> dict[str, int]:
    return _facts_of(specs)[1]


def _blank(value: object) -> bool:
    """`""` (an empty CSV cell) is "not given"; an explicit null clears the field instead."""
    return isinstance(value, str) and value.strip() == ""


def _set_null(
    name: str, spec: _Field, cleaned: dict[str, object], problems: list[FieldProblem]
) -> None:
    """An explicit null clears a field; a required one cannot be cleared."""
    if spec.required:
        problems.append(FieldProblem(name, "required", "cannot be null"))
    elif spec.not_nullable:
        if spec.null_value is None:
            problems.append(FieldProblem(name, "required", "cannot be null"))
        else:
            cleaned[spec.column] = _copy(spec.null_value)
    else:
        cleaned[spec.column] = None


def _copy(value: object) -> object:
    return list(value) if isinstance(value, list) else value


def _line_cross_checks(cleaned: Mapping[str, object], refused: set[str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    start, end = cleaned.get("commitment_start"), cleaned.get("commitment_end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems.append(
            FieldProblem("commitment_end", "date_order", "must not be before commitment_start")
        )
    balance, bonus = cleaned.get("balance_minor"), cleaned.get("bonus_balance_minor")
    if (
        isinstance(balance, int)
        and isinstance(bonus, int)
        and bonus > balance
        and "balance" not in refused
    ):
        problems.append(
            FieldProblem("bonus_balance", "bonus_within_balance", "must not exceed balance")
        )
    return problems


def amount_text(minor: int | None, currency: str) -> str | None:
    """An amount column as the API shows it: a decimal string with the currency's decimals."""
    return None if minor is None else Money(minor, currency).as_str()
