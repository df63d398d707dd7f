"""What a sound ledger looks like. Pure: sums in, problems out.

Every case's entries sum to zero in each currency (double entry). A payout's accounts say where
its money is, and that must match the payout's status: owed (`payout_due`) until a file carries
it, in transit while the bank has it, paid (`operator_bank`) once settled; a refund returned by
the bank is owed again, never lost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# The accounts a payout moves through, by the payout's status: (payout_due, payout_in_transit),
# as a multiple of the payout's amount (credit balances are negative).
PLACE_OF_MONEY: Final[Mapping[str, tuple[int, int]]] = {
    "awaiting_destination": (-1, 0),
    "scheduled": (-1, 0),
    "returned": (-1, 0),
    "sent": (0, -1),
    "settled": (0, 0),
}
CSV_COLUMNS: Final = (
    "created_at",
    "case_reference",
    "case_id",
    "kind",
    "account",
    "amount",
    "amount_minor",
    "currency",
    "entry_id",
)


@dataclass(frozen=True, slots=True)
class Problem:
    case_reference: str
    rule: str
    detail: str


def unbalanced_case(reference: str, currency: str, total_minor: int) -> Problem | None:
    if total_minor == 0:
        return None
    return Problem(
        reference,
        "case_unbalanced",
        f"the case's {currency} entries sum to {total_minor} minor units, not 0",
    )


def misplaced_payout(
    reference: str,
    status: str,
    amount_minor: int,
    due_minor: int,
    in_transit_minor: int,
    refunded_minor: int,
) -> list[Problem]:
    """The payout's money against its status, and its amount against the refund its case owed."""
    problems = []
    if refunded_minor != amount_minor:
        problems.append(
            Problem(
                reference,
                "payout_differs_from_refund",
                f"the payout is {amount_minor} minor units, the case owed {refunded_minor}",
            )
        )
    due_share, transit_share = PLACE_OF_MONEY.get(status, (0, 0))
    expected = (due_share * amount_minor, transit_share * amount_minor)
    if (due_minor, in_transit_minor) != expected:
        problems.append(
            Problem(
                reference,
                "payout_money_misplaced",
                f"a {status} payout should leave payout_due {expected[0]} and payout_in_transit "
                f"{expected[1]}; the ledger has {due_minor} and {in_transit_minor}",
            )
        )
    return problems
