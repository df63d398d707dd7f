"""The `pain001` payments adapter, as the gateways file names it: the debtor account is checked
when the file is loaded, and the adapter pays by files only."""

from __future__ import annotations

from pathlib import Path

import pytest

from simexit.errors import ConfigurationError, GatewayError
from simexit.integrations.payments.credit_transfer import CreditTransferPayments
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.operators.gateways import load_gateway_plan
from simexit.refunds.destinations import DestinationKind
from simexit.refunds.ports import Payout

GOOD = (
    "[operators.telenor-no]\n"
    'payments = { adapter = "pain001", debtor_name = "Telenor Norge AS", '
    'debtor_account_kind = "iban", debtor_account = "NO9386011117947", '
    'debtor_bank_id = "DNBANOKK", currencies = ["NOK"] }\n'
)


def _load(tmp_path: Path, text: str) -> GatewayDirectory:
    path = tmp_path / "gateways.toml"
    path.write_text(text, encoding="utf-8")
    return GatewayDirectory(load_gateway_plan(path, catalog=REGISTRY.catalog(), environ={}))


def test_the_operator_pays_refunds_from_the_account_its_gateway_names(tmp_path: Path) -> None:
    payments = _load(tmp_path, GOOD).for_operator("telenor-no").payments
    assert isinstance(payments, CreditTransferPayments)
    debtor = payments.debtor("NOK")
    assert debtor is not None
    assert (debtor.name, debtor.account.kind, debtor.account.bank_id) == (
        "Telenor Norge AS",
        DestinationKind.iban,
        "DNBANOKK",
    )
    assert payments.debtor("USD") is None
    with pytest.raises(GatewayError) as refused:
        payments.pay_out(Payout("p", 100, "NOK", "tok_1234", "Refund"))
    assert not refused.value.retryable


def test_a_wrong_debtor_account_stops_the_start_naming_the_operator_and_port(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        _load(tmp_path, GOOD.replace("NO9386011117947", "NO9386011117948"))
    message = str(refused.value)
    assert "telenor-no" in message
    assert "payments" in message
    assert "debtor_account" in message
