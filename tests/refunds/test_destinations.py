"""Refund destinations: each account form checked as its scheme defines it (pure)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simexit.refunds.destinations import (
    BANK_KINDS,
    Allowed,
    Destination,
    DestinationKind,
    check_destination,
)

EVERYTHING = Allowed(frozenset({"bank_transfer", "card", "same_operator_number"}), BANK_KINDS)
NORWAY = Allowed(
    frozenset({"bank_transfer"}),
    frozenset({DestinationKind.no_account, DestinationKind.iban}),
)
RU_WEIGHTS = (7, 1, 3) * 8


def _check(**values: object) -> tuple[Destination | None, list[tuple[str, str]]]:
    found, problems = check_destination(values, EVERYTHING)
    return found, [(p.field, p.rule) for p in problems]


def test_a_norwegian_account_number_is_normalised_and_masked() -> None:
    found, problems = check_destination(
        {"kind": "no_account", "holder_name": " Kari  Nordmann ", "account": "8601.11.17947"},
        NORWAY,
    )
    assert problems == []
    assert found is not None
    assert found.account == "86011117947"
    assert found.holder_name == "Kari Nordmann"
    assert found.masked == "no_account •••• 7947"


def test_a_norwegian_account_with_a_wrong_check_digit_names_the_rule() -> None:
    assert _check(kind="no_account", holder_name="K", account="86011117948")[1] == [
        ("account", "check_digit")
    ]
    assert _check(kind="no_account", holder_name="K", account="8601111794")[1] == [
        ("account", "no_account_length")
    ]


def test_an_iban_takes_its_bic_from_the_registry_or_checks_the_one_given() -> None:
    found, problems = _check(kind="iban", holder_name="K", account="NO93 8601 1117 947")
    assert problems == []
    assert found is not None
    assert found.bank_id == "DABANO22"
    assert _check(kind="iban", holder_name="K", account="NO9386011117948")[1] == [
        ("account", "iban")
    ]
    assert _check(kind="iban", holder_name="K", account="NO9386011117947", bank_id="NOTABIC!")[
        1
    ] == [("bank_id", "bic")]


def test_a_us_account_needs_a_valid_aba_routing_number() -> None:
    ok = _check(kind="us_account", holder_name="J", account="000123456789", bank_id="111000025")
    assert ok[1] == []
    assert _check(kind="us_account", holder_name="J", account="0001234", bank_id="111000026")[
        1
    ] == [("bank_id", "aba_routing")]
    assert _check(kind="us_account", holder_name="J", account="12", bank_id="")[1] == [
        ("bank_id", "required"),
        ("account", "us_account_length"),
    ]


def test_a_russian_account_is_checked_with_the_bic_control_key() -> None:
    ok = _check(
        kind="ru_account",
        holder_name="Иван Петров",
        account="40702810438000034726",
        bank_id="044525225",
    )
    assert ok[1] == []
    assert _check(
        kind="ru_account", holder_name="И", account="40702810438000034727", bank_id="044525225"
    )[1] == [("account", "check_digit")]
    assert _check(kind="ru_account", holder_name="И", account="4070", bank_id="14525225")[1] == [
        ("bank_id", "ru_bic"),
        ("account", "ru_account_length"),
    ]


def _with_control_key(bic: str, account: list[int]) -> str:
    account[8] = 0
    digits = [int(d) for d in bic[-3:]] + account
    total = sum(d * w for d, w in zip(digits, RU_WEIGHTS, strict=False))
    account[8] = (total % 10 * 3) % 10
    return "".join(map(str, account))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bic_tail=st.text("0123456789", min_size=7, max_size=7),
    digits=st.lists(st.integers(0, 9), min_size=20, max_size=20),
    position=st.integers(0, 19),
    change=st.integers(1, 9),
)
def test_any_single_wrong_digit_of_a_russian_account_is_caught(
    bic_tail: str, digits: list[int], position: int, change: int
) -> None:
    bic = "04" + bic_tail
    account = _with_control_key(bic, digits)
    assert _check(kind="ru_account", holder_name="И", account=account, bank_id=bic)[1] == []
    wrong = list(account)
    wrong[position] = str((int(wrong[position]) + change) % 10)
    assert _check(kind="ru_account", holder_name="И", account="".join(wrong), bank_id=bic)[1] == [
        ("account", "check_digit")
    ]


def test_a_card_number_is_never_taken_only_the_provider_token() -> None:
    assert _check(kind="card", holder_name="J", account="4111111111111111")[1] == [
        ("account", "card_token")
    ]
    assert _check(kind="card", holder_name="J", account="tok_visa_4242")[1] == []


def test_the_pack_decides_which_ways_and_account_forms_are_allowed() -> None:
    card = check_destination({"kind": "card", "holder_name": "K", "account": "tok_1234"}, NORWAY)
    assert [(p.field, p.rule, p.params) for p in card[1]] == [
        ("kind", "payout_method_not_allowed", {"method": "card"})
    ]
    us = check_destination(
        {"kind": "us_account", "holder_name": "K", "account": "1234", "bank_id": "111000025"},
        NORWAY,
    )
    assert [(p.field, p.rule) for p in us[1]] == [("kind", "account_format_not_used")]


def test_every_missing_field_is_named() -> None:
    assert _check()[1] == [("kind", "one_of"), ("holder_name", "required")]
    assert _check(kind="iban", holder_name="K")[1] == [("account", "required")]
    assert _check(kind="iban", holder_name="K" * 141, account="NO9386011117947")[1] == [
        ("holder_name", "string_too_long")
    ]


# A loaded CI machine is slow to generate examples; the time is not what is tested.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["kind", "holder_name", "account", "bank_id", "other"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=40), st.lists(st.integers())),
    )
)
def test_any_input_gives_a_destination_or_named_problems_never_an_exception(
    values: dict[str, object],
) -> None:
    found, problems = check_destination(values, EVERYTHING)
    assert (found is None) == bool(problems)
    assert all(p.field in {"kind", "holder_name", "account", "bank_id"} for p in problems)


@pytest.mark.parametrize("kind", [k.value for k in DestinationKind])
def test_every_kind_has_a_check(kind: str) -> None:
    found, problems = _check(kind=kind, holder_name="K", account="x")
    assert found is None
    assert problems
