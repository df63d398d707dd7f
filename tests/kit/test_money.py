from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.kit.money import Money, MoneyError

CURRENCIES = st.sampled_from(["NOK", "USD", "RUB"])


@pytest.mark.parametrize(
    ("text", "minor"),
    [("12.50", 1250), ("0", 0), ("0.01", 1), ("-3.2", -320), ("1000000", 100000000)],
)
def test_parse(text: str, minor: int) -> None:
    assert Money.parse(text, "NOK").minor == minor


@pytest.mark.parametrize("text", ["1.234", "abc", "NaN", "Infinity", ""])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "NOK")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(MoneyError, match="unsupported currency"):
        Money(1, "XXX")


def test_mixing_currencies_is_refused() -> None:
    with pytest.raises(MoneyError, match="cannot combine"):
        Money(1, "NOK") + Money(1, "USD")


def test_times_rounds_half_even() -> None:
    assert Money(5, "NOK").times(Decimal("0.5")).minor == 2
    assert Money(15, "NOK").times(Decimal("0.5")).minor == 8


@given(st.integers(-(10**12), 10**12), CURRENCIES)
def test_string_round_trip(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.parse(money.as_str(), currency) == money


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9), CURRENCIES)
def test_addition_is_exact(a: int, b: int, currency: str) -> None:
    assert (Money(a, currency) + Money(b, currency) - Money(b, currency)) == Money(a, currency)
