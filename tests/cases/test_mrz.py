"""Passport and ID card zones (ICAO 9303) read with the `mrz` package. Pure."""

from __future__ import annotations

from datetime import date

import pytest
from mrz.generator.td1 import TD1CodeGenerator
from mrz.generator.td3 import TD3CodeGenerator

from simexit.verification.mrz import MrzRefused, read_mrz

TODAY = date(2026, 12, 7)


def passport(expiry: str = "301231") -> str:
    return str(
        TD3CodeGenerator(
            "P", "NOR", "HANSEN", "KARI", "AB1234567", "NOR", "700101", "F", expiry, "01017012345"
        )
    )


def test_a_passport_zone_gives_its_type_number_and_expiry() -> None:
    read = read_mrz(passport(), today=TODAY)
    assert (read.document_type, read.number, read.expires_on) == (
        "passport",
        "AB1234567",
        date(2030, 12, 31),
    )
    assert "AB1234567" not in repr(read)


def test_an_id_card_zone_reads_too() -> None:
    card = str(
        TD1CodeGenerator("ID", "NOR", "C01X00T47", "700101", "F", "301231", "NOR", "HANSEN", "KARI")
    )
    read = read_mrz(card.lower(), today=TODAY)
    assert (read.document_type, read.number) == ("id_card", "C01X00T47")


def test_a_changed_digit_fails_the_check_digits() -> None:
    first, second = passport().splitlines()
    tampered = second.replace("AB1234567", "AB1234568")
    with pytest.raises(MrzRefused, match="check digits"):
        read_mrz(f"{first}\n{tampered}", today=TODAY)


def test_an_expired_document_is_refused() -> None:
    with pytest.raises(MrzRefused, match="expired on 2025-06-30"):
        read_mrz(passport("250630"), today=TODAY)


def test_something_else_is_not_a_zone() -> None:
    with pytest.raises(MrzRefused, match="2 lines of 44"):
        read_mrz("P<NOR\nAB123", today=TODAY)
