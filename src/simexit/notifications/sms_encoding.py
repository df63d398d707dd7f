"""SMS encoding and segmentation, as the network counts it (3GPP TS 23.038 / 23.040). Pure.

A text that fits the GSM 7-bit default alphabet (plus its extension table, whose characters
take an escape and so count double) is sent as GSM-7: 160 septets in one SMS, 153 per part of a
concatenated one (the rest holds the UDH). Anything else goes as UCS-2: 70 UTF-16 code units, 67
per part. A part never ends between an escape and its character, nor inside a surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# The basic table without ESC (0x1B), which is not a character of its own.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    gsm7 = "gsm7"
    ucs2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SmsShape:
    encoding: SmsEncoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    unit_limit: int  # units per segment at this length (160/153 or 70/67)


def is_gsm7(text: str) -> bool:
    return _GSM7_ALL.issuperset(text)


def detect_encoding(text: str) -> SmsEncoding:
    return SmsEncoding.gsm7 if is_gsm7(text) else SmsEncoding.ucs2


def _unit_cost(char: str, encoding: SmsEncoding) -> int:
    if encoding is SmsEncoding.gsm7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def count_units(text: str, encoding: SmsEncoding | None = None) -> int:
    encoding = encoding or detect_encoding(text)
    # Whole-string operations, not a loop per character: every message is measured when queued.
    if encoding is SmsEncoding.gsm7:
        return len(text) + sum(map(text.count, GSM7_EXTENSION))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_segments(text: str) -> list[str]:
    """The parts a phone would receive; one (possibly empty) part when the text fits in one SMS."""
    encoding = detect_encoding(text)
    return _split(text, encoding, count_units(text, encoding))


def _split(text: str, encoding: SmsEncoding, units: int) -> list[str]:
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding is SmsEncoding.gsm7 else (UCS2_SINGLE, UCS2_PART)
    )
    if units <= single:
        return [text]
    segments: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        cost = _unit_cost(char, encoding)
        if used + cost > part:  # whole characters only: never split an escape or a surrogate pair
            segments.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    segments.append("".join(current))
    return segments


def shape(text: str) -> SmsShape:
    encoding = detect_encoding(text)
    units = count_units(text, encoding)
    segments = len(_split(text, encoding, units))
    if encoding is SmsEncoding.gsm7:
        limit = GSM7_SINGLE if segments == 1 else GSM7_PART
    else:
        limit = UCS2_SINGLE if segments == 1 else UCS2_PART
    return SmsShape(encoding=encoding, units=units, segments=segments, unit_limit=limit)
