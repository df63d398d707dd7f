"""GSM-7 / UCS-2 detection and segment counting: tables of known cases, then properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.notifications.sms_encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsEncoding,
    count_units,
    detect_encoding,
    shape,
    split_segments,
)

G, U = SmsEncoding.gsm7, SmsEncoding.ucs2


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", G, 0, 1),
        ("Hello", G, 5, 1),
        ("Hei! Abonnementet er avsluttet. Æ Ø Å æ ø å", G, 43, 1),
        ("a" * 160, G, 160, 1),
        ("a" * 161, G, 161, 2),
        ("a" * 306, G, 306, 2),
        ("a" * 307, G, 307, 3),
        ("€" * 80, G, 160, 1),  # extension characters count double
        ("€" * 81, G, 162, 2),
        ("[]{}|~^\\€", G, 18, 1),
        ("a" * 152 + "€" + "b", G, 155, 1),
        ("a" * 152 + "€" + "b" * 6, G, 160, 1),
        ("a" * 152 + "€" + "b" * 7, G, 161, 2),
        ("Здравствуйте", U, 12, 1),
        ("я" * 70, U, 70, 1),
        ("я" * 71, U, 71, 2),
        ("я" * 134, U, 134, 2),
        ("я" * 135, U, 135, 3),
        ("您的确认码是 123456", U, 13, 1),
        ("a" * 159 + "ç", U, 160, 3),  # ç (lower case) is not GSM-7: the whole text goes UCS-2
        ("😀" * 35, U, 70, 1),  # astral characters are surrogate pairs: two units each
        ("😀" * 36, U, 72, 2),
        ("`", U, 1, 1),  # the backtick is not in the GSM alphabet
    ],
)
def test_known_texts(text: str, encoding: SmsEncoding, units: int, segments: int) -> None:
    result = shape(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_a_part_never_splits_an_escape_sequence() -> None:
    parts = split_segments("a" * 152 + "€" + "b" * 10)
    assert parts[0] == "a" * 152  # 152 + 2 > 153: the euro sign moves to the next part
    assert parts[1].startswith("€")


def test_a_part_never_splits_a_surrogate_pair() -> None:
    parts = split_segments("я" * 66 + "😀" + "я" * 10)
    assert parts[0] == "я" * 66
    assert parts[1].startswith("😀")


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=800)
any_text = st.text(max_size=600)


@given(gsm_text)
def test_gsm_alphabet_texts_are_gsm7(text: str) -> None:
    assert detect_encoding(text) is G


@given(any_text)
def test_parts_reassemble_the_text(text: str) -> None:
    assert "".join(split_segments(text)) == text


@given(any_text)
def test_every_part_fits_its_limit(text: str) -> None:
    result = shape(text)
    parts = split_segments(text)
    assert len(parts) == result.segments
    assert all(count_units(part, result.encoding) <= result.unit_limit for part in parts)


@given(any_text)
def test_single_segment_exactly_when_it_fits(text: str) -> None:
    result = shape(text)
    single = 160 if result.encoding is G else 70
    assert (result.segments == 1) == (result.units <= single)


@given(any_text, any_text)
def test_more_text_never_needs_fewer_parts(head: str, tail: str) -> None:
    combined = shape(head + tail)
    if combined.encoding == shape(head).encoding:
        assert combined.segments >= shape(head).segments


@given(any_text)
def test_units_are_the_sum_of_each_characters_cost(text: str) -> None:
    """count_units works on the whole string; this is the per-character definition it stands for."""
    if detect_encoding(text) is G:
        expected = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    else:
        expected = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
    assert count_units(text) == expected
