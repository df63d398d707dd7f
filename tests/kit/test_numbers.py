"""The fast number checks agree with phonenumbers and python-stdnum, which they stand in for."""

from __future__ import annotations

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from simexit.kit.numbers import is_e164_mobile, luhn_valid


@given(st.text(alphabet="0123456789", min_size=1, max_size=22))
def test_luhn_agrees_with_stdnum(digits: str) -> None:
    assert luhn_valid(digits) is luhn.is_valid(digits)


@given(
    st.sampled_from(["NO", "US", "RU", "SE", "DE"]),
    st.text(alphabet="0123456789", min_size=6, max_size=12),
)
def test_a_fast_yes_is_always_a_valid_number_of_that_region(region: str, digits: str) -> None:
    code = phonenumbers.country_code_for_region(region)
    text = f"+{code}{digits}"
    fast = is_e164_mobile(text, region)
    if fast is not None:
        number = phonenumbers.parse(text, None)
        assert fast is True
        assert phonenumbers.is_valid_number_for_region(number, region)


def test_typical_mobile_numbers_take_the_fast_path() -> None:
    assert is_e164_mobile("+4790000001", "NO") is True
    assert is_e164_mobile("+79161234567", "RU") is True
    assert is_e164_mobile("+12015550123", "US") is True


def test_other_forms_are_left_to_the_library() -> None:
    assert is_e164_mobile("90000001", "NO") is None
    assert is_e164_mobile("+47 900 00 001", "NO") is None
    assert is_e164_mobile("+46701234567", "NO") is None  # another country's code
    assert is_e164_mobile("+4722000000", "NO") is None  # a fixed line: not a mobile pattern
