"""The `pain001` payments adapter: refunds paid by ISO 20022 credit-transfer files.

The operator names, in the gateways file, the account refunds are paid from:

    [operators.telenor-no]
    payments = { adapter = "pain001", debtor_name = "Telenor Norge AS",
                 debtor_account_kind = "iban", debtor_account = "NO9386011117947",
                 debtor_bank_id = "DNBANOKK", currencies = ["NOK"] }

The account is checked as a refund destination of its kind is (MOD11, IBAN and BIC, ABA, the
Russian control key) when the file is loaded, so a typo stops the start, not a payment run.
Files are written by `simexit payouts export` and `POST /v1/payout-batches`; this adapter pays
nothing by itself, and refuses card refunds, which need a card acquirer's adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, model_validator

from simexit.errors import GatewayError
from simexit.operators.gateways import AdapterOptions
from simexit.refunds.destinations import BANK_KINDS, Allowed, check_destination
from simexit.refunds.pain001 import Debtor
from simexit.refunds.ports import Payout


class CreditTransferOptions(AdapterOptions):
    debtor_name: str
    debtor_account_kind: Literal["no_account", "iban", "us_account", "ru_account"]
    debtor_account: str
    debtor_bank_id: str | None = None
    currencies: list[str] = Field(default_factory=list)  # empty: every currency

    @model_validator(mode="after")
    def _account_checks(self) -> CreditTransferOptions:
        self.debtor()
        return self

    def debtor(self) -> Debtor:
        allowed = Allowed(frozenset({"bank_transfer"}), frozenset(BANK_KINDS))
        destination, problems = check_destination(
            {
                "kind": self.debtor_account_kind,
                "holder_name": self.debtor_name,
                "account": self.debtor_account,
                "bank_id": self.debtor_bank_id or "",
            },
            allowed,
        )
        if destination is None:
            raise ValueError(
                "; ".join(f"debtor_{p.field}: {p.detail} ({p.rule})" for p in problems)
            )
        return Debtor(self.debtor_name, destination)


@dataclass(frozen=True)
class CreditTransferPayments:
    options: CreditTransferOptions

    def pay_out(self, payout: Payout) -> str:  # noqa: ARG002 - the port's signature
        raise GatewayError(
            "the pain001 adapter pays by bank files only; a card refund needs a card acquirer",
            retryable=False,
        )

    def debtor(self, currency: str) -> Debtor | None:
        if self.options.currencies and currency not in self.options.currencies:
            return None
        return self.options.debtor()
