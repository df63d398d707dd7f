"""The provisioning field rules: pure, so plain values in and out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.iso7064 import mod_97_10

from simexit.provisioning.rules import (
    IMPORT_COLUMNS,
    LINE_COLUMNS,
    PUBLIC_LINE_FIELDS,
    PUBLIC_SUBSCRIBER_FIELDS,
    FieldProblem,
    OperatorFacts,
    check_line,
    check_subscriber,
)

TODAY = date(2026, 12, 3)
NORWAY = OperatorFacts(
    country="NO", currency="NOK", mobile_country_codes=("242",), languages=("nb", "en")
)
USA = OperatorFacts(country="US", currency="USD", mobile_country_codes=("310", "311", "312"))

MINIMAL = {
    "msisdn": "+4791234567",
    "kind": "physical_sim",
    "plan": "postpaid",
    "activated_on": "2025-01-15",
}


def iccid(body: str = "894700000000000000") -> str:
    return body + luhn.calc_check_digit(body)


def eid(body: str = "890490321234512345123456789012") -> str:
    return body + mod_97_10.calc_check_digits(body)


def rules(problems: list[FieldProblem]) -> set[tuple[str, str]]:
    return {(p.field, p.rule) for p in problems}


def test_a_minimal_line_is_cleaned_to_columns_with_defaults() -> None:
    cleaned, problems = check_line(MINIMAL, NORWAY, today=TODAY)
    assert problems == []
    assert cleaned["msisdn"] == "+4791234567"
    assert cleaned["activated_on"] == date(2025, 1, 15)
    assert cleaned["currency"] == "NOK"
    assert cleaned["balance_minor"] == 0
    assert cleaned["status"] == "active"
    assert cleaned["linked_services"] == []


def test_amounts_become_minor_units_under_their_column_names() -> None:
    values = {
        **MINIMAL,
        "balance": "129.50",
        "bonus_balance": "20",
        "unpaid_bills": 300,
        "monthly_fee": "399.00",
        "commitment_benefit": "1200.00",
    }
    cleaned, problems = check_line(values, NORWAY, today=TODAY)
    assert problems == []
    assert cleaned["balance_minor"] == 12950
    assert cleaned["bonus_balance_minor"] == 2000
    assert cleaned["unpaid_bills_minor"] == 30000
    assert cleaned["monthly_fee_minor"] == 39900
    assert cleaned["commitment_benefit_minor"] == 120000
    assert "balance" not in cleaned


def test_csv_string_forms_are_accepted() -> None:
    values = {
        **MINIMAL,
        "port_pending": "true",
        "sim_return_required": "FALSE",
        "linked_services": "bankid; autopay_card",
        "suspension_flags": '["debt"]',
        "billing_cycle_day": "15",
        "msisdn": "912 34 567",
        "region": "",
        "reseller_id": str(uuid.UUID(int=5)),
        "sim_returned_at": "2026-11-01T10:00:00+01:00",
    }
    cleaned, problems = check_line(values, NORWAY, today=TODAY)
    assert problems == []
    assert cleaned["port_pending"] is True
    assert cleaned["sim_return_required"] is False
    assert cleaned["linked_services"] == ["autopay_card", "bankid"]
    assert cleaned["suspension_flags"] == ["debt"]
    assert cleaned["billing_cycle_day"] == 15
    assert cleaned["msisdn"] == "+4791234567"
    assert "region" not in cleaned
    assert cleaned["reseller_id"] == uuid.UUID(int=5)
    assert cleaned["sim_returned_at"] == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_identifiers_that_pass_their_check_digits_are_kept() -> None:
    values = {**MINIMAL, "iccid": iccid(), "imsi": "242011234567890", "eid": eid()}
    cleaned, problems = check_line(values, NORWAY, today=TODAY)
    assert problems == []
    assert cleaned["iccid"] == iccid()
    assert cleaned["eid"] == eid()


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("msisdn", "+12025550123", "e164_for_country"),  # a US number at a Norwegian operator
        ("msisdn", "+47123", "e164_for_country"),
        ("msisdn", "not a number", "e164_for_country"),
        ("iccid", "8947000000000000001", "iccid_luhn"),
        ("iccid", "12345", "iccid_format"),
        ("iccid", "1247000000000000000", "iccid_format"),
        ("iccid", "89470000000000000x0", "iccid_format"),
        ("imsi", "310011234567890", "imsi_mcc"),
        ("imsi", "24201123", "imsi_format"),
        ("eid", "89049032123451234512345678901200", "eid_check_digits"),
        ("eid", "8904903212345", "eid_format"),
        ("currency", "USD", "currency_of_operator"),
        ("balance", "12.345", "decimal_amount"),
        ("balance", 12.5, "decimal_amount"),
        ("balance", "-1.00", "not_negative"),
        ("balance", "abc", "decimal_amount"),
        ("balance", "10000000.00", "amount_range"),
        ("activated_on", "2026-13-01", "date"),
        ("activated_on", "1899-01-01", "date_range"),
        ("last_topup_on", "2026-12-04", "date_range"),  # tomorrow: not yet happened
        ("kind", "tablet", "one_of"),
        ("plan", "", "required"),
        ("status", "gone", "one_of"),
        ("purchase_channel", "mail", "one_of"),
        ("billing_cycle_day", "31", "int_range"),
        ("billing_cycle_day", "x", "integer"),
        ("port_pending", "maybe", "boolean"),
        ("suspension_flags", "debt;fun", "one_of"),
        ("linked_services", "Bank ID", "token"),
        ("signed_up_channel", "x" * 21, "token"),  # its column holds 20
        ("reseller_id", "r-1", "uuid"),
        ("sim_returned_at", "2026-11-01T10:00:00", "datetime"),
        ("external_id", "x" * 101, "external_id_format"),
        ("external_id", "a/b", "external_id_format"),
        ("product_name", "x" * 121, "max_length"),
        ("region", "California", "region_code"),
        ("colour", "red", "unknown_field"),
    ],
)
def test_a_bad_value_names_its_field_and_rule(field: str, value: object, rule: str) -> None:
    _, problems = check_line({**MINIMAL, field: value}, NORWAY, today=TODAY)
    assert (field, rule) in rules(problems)


def test_every_problem_is_reported_not_only_the_first() -> None:
    values = {"msisdn": "+1", "kind": "tablet", "iccid": "1", "balance": "x"}
    _, problems = check_line(values, NORWAY, today=TODAY)
    assert rules(problems) >= {
        ("msisdn", "e164_for_country"),
        ("kind", "one_of"),
        ("iccid", "iccid_format"),
        ("balance", "decimal_amount"),
        ("plan", "required"),
        ("activated_on", "required"),
    }


def test_fields_are_checked_against_each_other() -> None:
    values = {
        **MINIMAL,
        "commitment_start": "2026-01-01",
        "commitment_end": "2025-01-01",
        "balance": "10",
        "bonus_balance": "20",
    }
    _, problems = check_line(values, NORWAY, today=TODAY)
    assert rules(problems) == {
        ("commitment_end", "date_order"),
        ("bonus_balance", "bonus_within_balance"),
    }


def test_partial_checks_only_what_is_given_and_sets_no_defaults() -> None:
    cleaned, problems = check_line({"balance": "5.00"}, NORWAY, today=TODAY, partial=True)
    assert problems == []
    assert cleaned == {"balance_minor": 500}


def test_null_clears_a_field_and_resets_a_defaulted_one() -> None:
    cleaned, problems = check_line(
        {"iccid": None, "balance": None, "msisdn": None}, NORWAY, today=TODAY, partial=True
    )
    assert cleaned == {"iccid": None, "balance_minor": 0}
    assert rules(problems) == {("msisdn", "required")}


def test_us_numbers_and_mccs() -> None:
    values = {
        "msisdn": "+1 (202) 555-0000",
        "kind": "esim",
        "plan": "prepaid",
        "activated_on": "2026-01-01",
        "imsi": "311480123456789",
    }
    cleaned, problems = check_line(values, USA, today=TODAY)
    assert rules(problems) <= {("msisdn", "e164_for_country")}
    values["msisdn"] = "+12015550123"
    cleaned, problems = check_line(values, USA, today=TODAY)
    assert problems == []
    assert cleaned["currency"] == "USD"


def test_a_subscriber_is_cleaned_and_its_secrets_kept_apart() -> None:
    values = {
        "external_id": "C-1",
        "full_name": " Kari Nordmann ",
        "email": "kari@example.no",
        "phone": "+47 912 34 567",
        "language": "nb",
        "id_document_number": "ab 12-34 567",
        "account_pin": "1234",
    }
    cleaned, problems = check_subscriber(values, NORWAY, today=TODAY)
    assert problems == []
    assert cleaned == {
        "external_id": "C-1",
        "full_name": "Kari Nordmann",
        "email": "kari@example.no",
        "phone_e164": "+4791234567",
        "language": "nb",
        "id_document_number": "AB1234567",
        "account_pin": "1234",
    }


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("email", "kari", "email"),
        ("phone", "123", "e164"),
        ("language", "ru", "language_of_operator"),
        ("account_pin", "12", "pin_format"),
        ("account_pin", 1234, "pin_format"),
        ("id_document_number", "!!", "id_document_format"),
        ("full_name", 5, "string"),
    ],
)
def test_a_bad_subscriber_value_names_its_field_and_rule(
    field: str, value: object, rule: str
) -> None:
    _, problems = check_subscriber({field: value}, NORWAY, today=TODAY)
    assert rules(problems) == {(field, rule)}


def test_import_columns_are_the_public_fields_plus_the_subscriber_link() -> None:
    assert set(PUBLIC_LINE_FIELDS) < set(IMPORT_COLUMNS)
    assert "subscriber_external_id" in IMPORT_COLUMNS
    assert {"subscriber_" + f for f in PUBLIC_SUBSCRIBER_FIELDS if f != "external_id"} < set(
        IMPORT_COLUMNS
    )


# --- properties ----------------------------------------------------------------------------

AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2, allow_nan=False)


@given(AMOUNTS)
def test_any_two_decimal_amount_round_trips_to_minor_units(amount: Decimal) -> None:
    cleaned, problems = check_line({"balance": f"{amount:.2f}"}, NORWAY, today=TODAY, partial=True)
    assert problems == []
    assert cleaned["balance_minor"] == int(amount * 100)


@given(st.text(alphabet="0123456789", min_size=17, max_size=19).map(lambda s: "89" + s[2:]))
def test_an_iccid_is_accepted_exactly_when_its_luhn_digit_fits(body: str) -> None:
    for digit in "0123456789":
        candidate = body + digit
        _, problems = check_line({"iccid": candidate}, NORWAY, today=TODAY, partial=True)
        assert (problems == []) == luhn.is_valid(candidate)


@given(st.text(alphabet="0123456789", min_size=30, max_size=30))
def test_an_eid_is_accepted_exactly_when_its_check_digits_fit(body: str) -> None:
    good = body + mod_97_10.calc_check_digits(body)
    assert check_line({"eid": good}, NORWAY, today=TODAY, partial=True)[1] == []
    bad = body + f"{(int(good[-2:]) + 1) % 100:02d}"
    assert rules(check_line({"eid": bad}, NORWAY, today=TODAY, partial=True)[1]) == {
        ("eid", "eid_check_digits")
    }


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(PUBLIC_LINE_FIELDS),
        st.one_of(
            st.none(),
            st.text(max_size=30),
            st.integers(),
            st.booleans(),
            st.floats(),
            st.lists(st.text(max_size=5), max_size=3),
        ),
    )
)
def test_any_input_gives_clean_values_or_named_problems_never_an_exception(
    values: dict[str, object],
) -> None:
    cleaned, problems = check_line(values, NORWAY, today=TODAY, partial=True)
    # Partial: only given fields are checked, and a refused field yields no clean value.
    assert {p.field for p in problems} <= set(values)
    assert all(p.rule and p.detail for p in problems)
    refused = {p.field for p in problems if p.rule != "bonus_within_balance"}
    assert not any(LINE_COLUMNS[name] in cleaned for name in refused)


@given(
    st.dictionaries(
        st.sampled_from(PUBLIC_SUBSCRIBER_FIELDS),
        st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans()),
    )
)
def test_any_subscriber_input_never_raises(values: dict[str, object]) -> None:
    _, problems = check_subscriber(values, NORWAY, today=TODAY, partial=True)
    assert all(p.field in PUBLIC_SUBSCRIBER_FIELDS for p in problems)
