"""What paying a refund needs from outside simexit. Adapters live in `integrations/` (a card
acquirer's refund API, an ISO 20022 pain.001 credit-transfer batch, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from simexit.refunds.pain001 import Debtor


@dataclass(frozen=True, slots=True)
class Payout:
    """One amount to pay one subscriber.

    `payout_id` is simexit's id for the payout and stays the same when it is retried: providers
    take it as the idempotency key (a card refund's idempotency key, pain.001's EndToEndId), so a
    retry after a lost answer never pays twice."""

    payout_id: str
    amount_minor: int
    currency: str  # ISO 4217
    destination: str  # an IBAN, or the token of the card the subscriber paid with
    remittance: str  # what the payee sees on the statement, e.g. the case reference


class PaymentGateway(Protocol):
    """`pay_out`: pay a refund to the card the subscriber paid with; the answer is the
    provider's reference for it (the same reference again for a payout it already has). Raises
    `simexit.errors.GatewayError`.

    `debtor`: the operator's account that credit-transfer files (pain.001) pay refunds in this
    currency from, or None when the operator has none configured."""

    def pay_out(self, payout: Payout) -> str: ...

    def debtor(self, currency: str) -> Debtor | None: ...
