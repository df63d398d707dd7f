"""Money as integer minor units plus an ISO 4217 currency. Pure: no I/O.

Amounts cross the API as decimal strings (`"12.50"`); inside, they are ints. Conversions use
`Decimal` with explicit ROUND_HALF_EVEN so that no float ever touches an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# Minor-unit exponents of the currencies simexit's countries use (ISO 4217).
MINOR_UNIT_EXPONENT: dict[str, int] = {"NOK": 2, "USD": 2, "RUB": 2, "EUR": 2, "SEK": 2, "DKK": 2}


class MoneyError(ValueError):
    pass


def exponent_of(currency: str) -> int:
    try:
        return MINOR_UNIT_EXPONENT[currency]
    except KeyError:
        raise MoneyError(
            f"unsupported currency {currency!r}; expected one of {sorted(MINOR_UNIT_EXPONENT)}"
        ) from None


@dataclass(frozen=True, slots=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        exponent_of(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: str | Decimal | int, currency: str) -> Money:
        """`"12.50"` NOK -> 1250. Refuses more decimals than the currency has."""
        exponent = exponent_of(currency)
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            raise MoneyError(f"{amount!r} is not a decimal amount") from None
        if not value.is_finite():
            raise MoneyError(f"{amount!r} is not a finite amount")
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{amount!r} has more than {exponent} decimals for {currency}")
        return cls(int(scaled), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """Multiply and round half-even to a whole minor unit."""
        product = (Decimal(self.minor) * Decimal(factor)).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN
        )
        return Money(int(product), self.currency)

    def clamp_min_zero(self) -> Money:
        return self if self.minor >= 0 else Money(0, self.currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent_of(self.currency))

    def as_str(self) -> str:
        """`"12.50"`, always with the currency's number of decimals."""
        exponent = exponent_of(self.currency)
        return f"{self.decimal:.{exponent}f}"

    def __str__(self) -> str:
        return f"{self.as_str()} {self.currency}"
