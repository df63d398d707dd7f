"""Generated subscriber-base files: valid Norwegian lines, and the broken rows a test plants."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from stdnum import luhn

COLUMNS = (
    "external_id",
    "subscriber_external_id",
    "subscriber_full_name",
    "subscriber_email",
    "subscriber_language",
    "msisdn",
    "kind",
    "plan",
    "iccid",
    "imsi",
    "activated_on",
    "monthly_fee",
    "balance",
    "unpaid_bills",
    "linked_services",
)

# Each broken row: the column it breaks, the value, and the rule the report must name.
BREAKAGES = (
    ("msisdn", "+4712", "e164_for_country"),
    ("msisdn", "+46701234567", "e164_for_country"),
    ("iccid", "89470100000000000017", "iccid_luhn"),
    ("iccid", "12345", "iccid_format"),
    ("imsi", "310150000000001", "imsi_mcc"),
    ("kind", "pager", "one_of"),
    ("plan", "", "required"),
    ("activated_on", "2026-13-01", "date"),
    ("monthly_fee", "12.345", "decimal_amount"),
    ("balance", "-5.00", "not_negative"),
)


def iccid(serial: int) -> str:
    body = f"89470100{serial:011d}"
    return body + luhn.calc_check_digit(body)


def line_row(n: int, *, fee: str = "299.00") -> dict[str, str]:
    return {
        "external_id": f"L-{n:07d}",
        "subscriber_external_id": f"C-{n // 2:07d}",  # two lines per subscriber
        "subscriber_full_name": f"Kunde {n // 2}",
        "subscriber_email": f"kunde{n // 2}@example.no",
        "subscriber_language": "nb",
        "msisdn": f"+479{n:07d}",
        "kind": "physical_sim" if n % 3 else "data_only",
        "plan": "postpaid" if n % 4 else "prepaid",
        "iccid": iccid(n),
        "imsi": f"24201{n:010d}",
        "activated_on": "2024-05-01",
        "monthly_fee": fee,
        "balance": "0.00",
        "unpaid_bills": "0.00",
        "linked_services": "bankid" if n % 5 == 0 else "",
    }


def rows(count: int, *, broken_every: int = 0, fee: str = "299.00") -> Iterator[dict[str, str]]:
    """`count` line rows; with `broken_every`, every such row breaks one rule (in turn)."""
    for n in range(count):
        row = line_row(n, fee=fee)
        if broken_every and n % broken_every == broken_every - 1:
            column, value, _rule = BREAKAGES[(n // broken_every) % len(BREAKAGES)]
            row[column] = value
        yield row


def broken_rows(count: int, broken_every: int) -> dict[int, tuple[str, str]]:
    """The file row (header = row 1) of each planted breakage, with its field and rule."""
    planted = {}
    for n in range(count):
        if n % broken_every == broken_every - 1:
            column, _value, rule = BREAKAGES[(n // broken_every) % len(BREAKAGES)]
            planted[n + 2] = (column, rule)
    return planted


def csv_bytes(items: Iterator[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(items)
    return out.getvalue().encode()
