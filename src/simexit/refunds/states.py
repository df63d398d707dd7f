"""The states of a payout and the moves between them. Pure.

    awaiting_destination ──destination given──▶ scheduled ──in a batch file──▶ sent
    sent ──bank accepts (pain.002 ACSC/ACCC)──▶ settled
    sent ──bank returns or rejects (RJCT)──▶ returned ──new destination──▶ scheduled
    scheduled (card) ──provider pays──▶ settled;  scheduled (line) ──line credited──▶ settled

A returned payout keeps its id, so the next file pays it under the same EndToEndId and a bank
that saw it settle once never pays twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class PayoutStatus(StrEnum):
    awaiting_destination = "awaiting_destination"
    scheduled = "scheduled"
    sent = "sent"
    settled = "settled"
    returned = "returned"


class PayoutMove(StrEnum):
    destination_given = "destination_given"
    batched = "batched"
    accepted = "accepted"
    returned = "returned"
    paid_directly = "paid_directly"


TRANSITIONS: Final[dict[tuple[PayoutStatus, PayoutMove], PayoutStatus]] = {
    (PayoutStatus.awaiting_destination, PayoutMove.destination_given): PayoutStatus.scheduled,
    (PayoutStatus.scheduled, PayoutMove.destination_given): PayoutStatus.scheduled,
    (PayoutStatus.returned, PayoutMove.destination_given): PayoutStatus.scheduled,
    (PayoutStatus.scheduled, PayoutMove.batched): PayoutStatus.sent,
    (PayoutStatus.scheduled, PayoutMove.paid_directly): PayoutStatus.settled,
    (PayoutStatus.sent, PayoutMove.accepted): PayoutStatus.settled,
    (PayoutStatus.sent, PayoutMove.returned): PayoutStatus.returned,
}

# A destination may be given or changed until the money has left.
OPEN_FOR_DESTINATION: Final = frozenset(
    {PayoutStatus.awaiting_destination, PayoutStatus.scheduled, PayoutStatus.returned}
)


class PayoutMoveRefused(ValueError):
    def __init__(self, status: PayoutStatus, move: PayoutMove) -> None:
        super().__init__(f"a payout that is {status.value} cannot be {move.value}")
        self.status = status
        self.move = move


def next_status(status: PayoutStatus, move: PayoutMove) -> PayoutStatus:
    found = TRANSITIONS.get((status, move))
    if found is None:
        raise PayoutMoveRefused(status, move)
    return found
