"""Fast checks of the numbers a base file holds by the million: E.164 mobile numbers, Luhn.

Pure. `phonenumbers.parse` + `is_valid_number` take about 150 µs a number (parsing a free-form
string, then trying every number type of the region in turn); a bulk import of a million lines
spent most of its time there. A number already in E.164 form that the region's own metadata
(from phonenumbers) marks as a mobile number is valid for that region, so `is_e164_mobile`
answers that case with two precompiled patterns; anything else is left to the full library
(`None`). Luhn is a loop over digits: stdnum's general implementation (any alphabet) costs five
times as much; the tests check both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from phonenumbers import PhoneMetadata

_E164 = re.compile(r"\+[1-9]\d{6,14}")


@dataclass(frozen=True, slots=True)
class _Region:
    prefix: str  # "+47"
    general: re.Pattern[str]
    general_lengths: frozenset[int]
    mobile: re.Pattern[str] | None
    mobile_lengths: frozenset[int]


@lru_cache(maxsize=64)
def _region(region: str) -> _Region | None:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return None
    mobile = metadata.mobile
    general = metadata.general_desc
    return _Region(
        prefix=f"+{metadata.country_code}",
        general=re.compile(general.national_number_pattern or r"(?!)"),
        general_lengths=frozenset(general.possible_length or ()),
        mobile=re.compile(mobile.national_number_pattern)
        if mobile is not None and mobile.national_number_pattern
        else None,
        mobile_lengths=frozenset((mobile.possible_length or ()) if mobile is not None else ()),
    )


def is_e164_mobile(text: str, region: str) -> bool | None:
    """True: `text` is an E.164 mobile number of `region`. None: not known this way (not in
    E.164 form, or not a mobile pattern): ask phonenumbers. Never False on a valid number."""
    found = _region(region)
    if found is None or not _E164.fullmatch(text) or not text.startswith(found.prefix):
        return None
    national = text[len(found.prefix) :]
    if national.startswith("0") or found.mobile is None:
        return None  # a leading zero is part of some numbers (Italy): the library knows
    if (
        len(national) in found.mobile_lengths
        and found.mobile.fullmatch(national)
        and found.general.fullmatch(national)
    ):
        return True
    return None


def luhn_valid(digits: str) -> bool:
    """Whether a string of decimal digits ends in its Luhn check digit (ISO/IEC 7812-1)."""
    total = 0
    double = False
    for char in reversed(digits):
        value = ord(char) - 48
        if double:
            value *= 2
            if value > 9:
                value -= 9
        total += value
        double = not double
    return total % 10 == 0
