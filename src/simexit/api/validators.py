"""Input types the API shares: E.164 numbers, ICCIDs, bounded dates and safe text.

Each failure is a pydantic error with its own rule name (`e164`, `iccid`, ...), which the 422
problem reports next to the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Final

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError
from stdnum import luhn

EARLIEST_DATE: Final = date(2000, 1, 1)
LATEST_DATE: Final = date(2099, 12, 31)


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not value.startswith("+") or not phonenumbers.is_valid_number(number):
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


def in_timestamp_range(value: datetime) -> bool:
    """Whether an aware time lies in the years the API accepts (its UTC form must exist too:
    0001-01-01T00:00+14:00 is a valid ISO string whose UTC instant is before year 1)."""
    try:
        day = value.astimezone(UTC).date()
    except OverflowError:
        return False
    return EARLIEST_DATE <= day <= LATEST_DATE


def _timestamp_in_range(value: datetime) -> datetime:
    if not in_timestamp_range(value):
        raise PydanticCustomError(
            "datetime_range",
            "must be between {earliest} and {latest} (UTC)",
            {"earliest": str(EARLIEST_DATE), "latest": str(LATEST_DATE)},
        )
    return value.astimezone(UTC)


def _printable(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


E164 = Annotated[
    str,
    StringConstraints(max_length=20),
    AfterValidator(_e164),
    Field(examples=["+4791234567"], pattern=r"^\+[1-9][0-9]{6,14}$"),
]
Iccid = Annotated[
    str,
    AfterValidator(_iccid),
    Field(
        examples=["8947010000000000010"],
        pattern=r"^89[0-9]{17,18}$",
        description="19 or 20 digits starting with 89; the last is the Luhn check digit.",
    ),
]
BoundedDate = Annotated[
    date,
    AfterValidator(_in_range),
    Field(description=f"A date from {EARLIEST_DATE} to {LATEST_DATE}."),
]
BoundedTimestamp = Annotated[
    AwareDatetime,
    AfterValidator(_timestamp_in_range),
    Field(
        description=f"An ISO 8601 time with its UTC offset, from {EARLIEST_DATE} to {LATEST_DATE}.",
        examples=["2026-11-20T09:30:00+01:00"],
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
