"""Money helpers for policy decisions: pro-rata shares and JSON-native money in finding params."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from simexit.kit.money import Money


def prorate(amount: Money, numerator: int, denominator: int) -> Money:
    """`amount * numerator / denominator`, rounded half-even to a whole minor unit."""
    if denominator <= 0:
        raise ValueError("denominator must be > 0")
    exact = Decimal(amount.minor * numerator) / Decimal(denominator)
    return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), amount.currency)


def money_param(amount: Money) -> dict[str, Any]:
    """Money inside finding params stays JSON-native so a decision round-trips exactly."""
    return {"amount": amount.as_str(), "currency": amount.currency, "minor": amount.minor}
