"""The machine-readable zone of a passport (ICAO 9303 TD3, two lines of 44) or an ID card (TD1,
three lines of 30), checked with the `mrz` package: every check digit (number, birth date,
expiry, optional data, the composite), then the expiry against the day given. Pure.

`mrz` (PyPI) is the one maintained-enough reader and generator of ICAO 9303 zones for Python;
python-stdnum has national numbers but no MRZ. The format is stable (ICAO 9303, 8th edition),
so a quiet release history is not a worry; its checks are covered by tests/unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td3 import TD3CodeChecker


class MrzRefused(Exception):
    """The zone is not a valid passport or ID card zone, or the document has expired."""


@dataclass(frozen=True, slots=True)
class MrzDocument:
    document_type: str  # "passport" | "id_card"
    number: str = ""  # never stored: compared with the keyed hash, then dropped
    expires_on: date | None = None

    def __repr__(self) -> str:  # the number stays out of logs and reprs
        return f"MrzDocument({self.document_type}, expires_on={self.expires_on})"


def _lines(text: str) -> list[str]:
    return [line.strip().upper() for line in text.strip().splitlines() if line.strip()]


def _expiry(yymmdd: str) -> date:
    try:
        return date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        raise MrzRefused("the expiry date in the MRZ is not a date") from None


def read_mrz(text: str, *, today: date) -> MrzDocument:
    lines = _lines(text)
    if len(lines) == 2 and all(len(line) == 44 for line in lines):
        checker: TD3CodeChecker | TD1CodeChecker = TD3CodeChecker("\n".join(lines))
        kind = "passport"
    elif len(lines) == 3 and all(len(line) == 30 for line in lines):
        checker = TD1CodeChecker("\n".join(lines))
        kind = "id_card"
    else:
        raise MrzRefused(
            "not a machine-readable zone: a passport has 2 lines of 44, an ID card 3 of 30"
        )
    if not bool(checker):
        raise MrzRefused("the MRZ's check digits do not add up")
    fields = checker.fields()
    expires_on = _expiry(fields.expiry_date)
    if expires_on < today:
        raise MrzRefused(f"the document expired on {expires_on.isoformat()}")
    return MrzDocument(kind, fields.document_number.replace("<", ""), expires_on)
