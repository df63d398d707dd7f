"""ID numbers and PINs as provisioning stores them: never the raw value."""

from __future__ import annotations

import uuid

from simexit.provisioning import secrets

SECRET = b"s" * 32
OPERATOR = uuid.UUID(int=1)


def test_a_document_hash_is_keyed_per_operator_and_ignores_spacing() -> None:
    one = secrets.document_hash("AB 123-4567", secret=SECRET, operator_id=OPERATOR)
    assert one == secrets.document_hash("ab1234567", secret=SECRET, operator_id=OPERATOR)
    assert one != secrets.document_hash("AB1234567", secret=SECRET, operator_id=uuid.UUID(int=2))
    assert one != secrets.document_hash("AB1234567", secret=b"t" * 32, operator_id=OPERATOR)
    assert "1234567" not in one
    assert secrets.document_matches(
        "AB1234567", stored_hash=one, secret=SECRET, operator_id=OPERATOR
    )
    assert not secrets.document_matches(
        "AB1234568", stored_hash=one, secret=SECRET, operator_id=OPERATOR
    )


def test_seal_replaces_the_secrets_by_what_may_be_stored() -> None:
    sealed = secrets.seal(
        {"full_name": "Kari", "id_document_number": "AB1234567", "account_pin": "2468"},
        secret=SECRET,
        operator_id=OPERATOR,
    )
    assert set(sealed) == {"full_name", "id_document_hash", "id_document_last4", "account_pin_hash"}
    assert sealed["id_document_last4"] == "4567"
    pin_hash = sealed["account_pin_hash"]
    assert isinstance(pin_hash, str)
    assert "2468" not in pin_hash
    assert secrets.pin_matches("2468", pin_hash)
    assert not secrets.pin_matches("2469", pin_hash)


def test_the_same_pin_again_keeps_its_hash_and_null_clears() -> None:
    first = secrets.hash_pin("2468")
    again = secrets.seal(
        {"account_pin": "2468"}, secret=SECRET, operator_id=OPERATOR, current_pin_hash=first
    )
    assert again["account_pin_hash"] == first
    other = secrets.seal(
        {"account_pin": "1357"}, secret=SECRET, operator_id=OPERATOR, current_pin_hash=first
    )
    assert other["account_pin_hash"] != first
    cleared = secrets.seal(
        {"account_pin": None, "id_document_number": None}, secret=SECRET, operator_id=OPERATOR
    )
    assert cleared == {
        "account_pin_hash": None,
        "id_document_hash": None,
        "id_document_last4": None,
    }


def test_a_pin_never_matches_a_missing_or_broken_hash() -> None:
    assert not secrets.pin_matches("2468", None)
    assert not secrets.pin_matches("2468", "not-a-hash")
