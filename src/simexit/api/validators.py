"""Input types the API shares: E.164 numbers, ICCIDs, bounded dates and safe text.

Each failure is a pydantic error with its own rule name (`e164`, `iccid`, ...), which the 422
problem reports next to the field.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Final

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError
from stdnum import luhn

EARLIEST_DATE: Final = date(2000, 1, 1)
LATEST_DATE: Final = date(2099, 12, 31)
E164_PATTERN: Final = r"^\+[1-9][0-9]{6,14}$"


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or re.fullmatch(E164_PATTERN, value) is None
        or not phonenumbers.is_valid_number(number)
    ):
        raise PydanticCustomError(
            "e164", "must be a valid phone number in E.164 form, e.g. +4791234567"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _iccid(value: str) -> str:
    if not (
        value.isascii() and value.isdigit() and 19 <= len(value) <= 20 and value.startswith("89")
    ):
        raise PydanticCustomError("iccid", "must be 19 or 20 digits starting with 89")
    if not luhn.is_valid(value):
        raise PydanticCustomError("iccid_checksum", "the Luhn check digit does not match")
    return value


def _in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError(
            "date_range",
            "must be between {earliest} and {latest}",
            {"earliest": str(EARLIEST_DATE), "latest": str(LATEST_DATE)},
        )
    return value


def _timestamp_in_range(value: datetime) -> datetime:
    """The date as written decides (so the contract's pattern on the year is the whole rule);
    any such time has a UTC form, as 0001-01-01T00:00+14:00 (year 0 in UTC) has not."""
    if not EARLIEST_DATE <= value.date() <= LATEST_DATE:
        raise PydanticCustomError(
            "datetime_range",
            "must be between {earliest} and {latest}",
            {"earliest": str(EARLIEST_DATE), "latest": str(LATEST_DATE)},
        )
    return value.astimezone(UTC)


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


# Formats of our own, named in the contract, for the rules a pattern cannot hold: a number the
# numbering plan assigns (libphonenumber's metadata), a Luhn check digit. A generator that knows
# the format produces values that pass (tests/api/seeded_fuzz.py registers both with
# schemathesis); the pattern still tells every client the shape.
E164_FORMAT: Final = "e164"
ICCID_FORMAT: Final = "iccid"
ICCID_PATTERN: Final = r"^89[0-9]{17,18}$"
E164 = Annotated[
    str,
    StringConstraints(max_length=20),
    AfterValidator(_e164),
    Field(
        examples=["+4791234567"],
        description="E.164, a number the ITU numbering plan assigns (as libphonenumber knows it).",
        # Not `pattern=`: FastAPI drops it when a `Query(...)` wraps the type.
        json_schema_extra={"format": E164_FORMAT, "pattern": E164_PATTERN},
    ),
]
Iccid = Annotated[
    str,
    AfterValidator(_iccid),
    Field(
        examples=["8947010000000000010"],
        description="19 or 20 digits starting with 89; the last is the Luhn check digit.",
        json_schema_extra={"format": ICCID_FORMAT, "pattern": ICCID_PATTERN},
    ),
]
# The range as patterns on the written year (JSON Schema has no minimum for a date string): the
# years of one century, 2000-01-01 to 2099-12-31 (tests/api/test_contract_rules.py holds the
# patterns to the constants). Months and days are those of `format: date` / `date-time`, spelled
# out so that generators need not filter. The validators name the rule (`date_range`).
_YEAR = f"{EARLIEST_DATE.year // 100}[0-9]{{2}}"
_DAY = "(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN: Final = f"^{_YEAR}-{_DAY}$"
TIMESTAMP_PATTERN: Final = (
    f"^{_YEAR}-{_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{{1,6}})?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
BoundedDate = Annotated[
    date,
    AfterValidator(_in_range),
    Field(
        description=f"A date from {EARLIEST_DATE} to {LATEST_DATE}.",
        json_schema_extra={"pattern": DATE_PATTERN},
    ),
]
BoundedTimestamp = Annotated[
    AwareDatetime,
    AfterValidator(_timestamp_in_range),
    Field(
        description=(
            f"An ISO 8601 time with its UTC offset, dated (as written) from {EARLIEST_DATE} "
            f"to {LATEST_DATE}."
        ),
        examples=["2026-11-20T09:30:00+01:00"],
        json_schema_extra={"pattern": TIMESTAMP_PATTERN},
    ),
]


# Declared in the schema (so clients and fuzzers know the rule) but checked by `_printable`, which
# names the rule `control_characters` instead of a generic pattern mismatch.
_NO_CONTROL_CHARACTERS = {"pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"}
ShortText = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(_printable),
    Field(json_schema_extra=_NO_CONTROL_CHARACTERS),
]
LongText = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_printable),
    Field(json_schema_extra=_NO_CONTROL_CHARACTERS),
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
