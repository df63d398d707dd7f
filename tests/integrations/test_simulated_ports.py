"""The simulated OSS, payment and identity adapters keep the promises of their ports:
idempotent by the caller's id, and an OIDC-shaped round trip that cannot be replayed."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from simexit.cases.ports import ServiceOrder
from simexit.errors import GatewayError
from simexit.integrations.simulated import SimulatedIdentity, SimulatedOss, SimulatedPayments
from simexit.refunds.ports import Payout
from simexit.verification.ports import IdentityNotProven


class TestOss:
    def test_an_order_sent_twice_is_one_order(self) -> None:
        oss = SimulatedOss()
        order = ServiceOrder("case-1:delete", "delete", "line-1", date(2026, 12, 1))
        first = oss.submit_service_order(order)
        assert oss.submit_service_order(order) == first
        other = oss.submit_service_order(ServiceOrder("case-2:delete", "delete", "line-2"))
        assert other != first
        assert len(oss.orders) == 2


class TestPayments:
    def payout(self, **changes: object) -> Payout:
        values: dict[str, object] = {
            "payout_id": "refund-1",
            "amount_minor": 12550,
            "currency": "NOK",
            "destination": "NO9386011117947",
            "remittance": "NO-2026-000017",
        }
        values.update(changes)
        return Payout(**values)  # type: ignore[arg-type]

    def test_the_same_payout_twice_is_paid_once(self) -> None:
        payments = SimulatedPayments()
        reference = payments.pay_out(self.payout())
        assert payments.pay_out(self.payout()) == reference
        assert list(payments.payouts) == ["refund-1"]

    def test_a_reused_id_with_other_details_is_refused(self) -> None:
        payments = SimulatedPayments()
        payments.pay_out(self.payout())
        with pytest.raises(GatewayError, match="already made with other details") as caught:
            payments.pay_out(self.payout(amount_minor=99))
        assert caught.value.retryable is False

    @pytest.mark.parametrize(
        ("changes", "rule"),
        [({"amount_minor": 0}, "positive amount"), ({"currency": "kr"}, "not an ISO 4217 code")],
    )
    def test_impossible_payouts_are_refused_for_good(
        self, changes: dict[str, object], rule: str
    ) -> None:
        with pytest.raises(GatewayError, match=rule) as caught:
            SimulatedPayments().pay_out(self.payout(**changes))
        assert caught.value.retryable is False


class TestIdentity:
    def test_the_redirect_carries_what_completing_the_check_needs(self) -> None:
        identity = SimulatedIdentity()
        start = identity.begin_check(
            check_id="chk-1", return_url="https://simexit.example/eid/return", login_hint="+47412"
        )
        url = urlsplit(start.redirect_url)
        assert url.path == "/eid/return"
        answer = {key: values[0] for key, values in parse_qs(url.query).items()}
        assert answer["state"] == "chk-1"
        proven = identity.complete_check(check_id="chk-1", response=answer)
        assert proven.subject.startswith("sim-")
        again = identity.begin_check(
            check_id="chk-2", return_url="https://x/r", login_hint="+47412"
        )
        second = {k: v[0] for k, v in parse_qs(urlsplit(again.redirect_url).query).items()}
        assert identity.complete_check(check_id="chk-2", response=second).subject == proven.subject
        with pytest.raises(IdentityNotProven, match="already used"):
            identity.complete_check(check_id="chk-1", response=answer)

    def test_an_answer_for_another_check_or_an_error_proves_nothing(self) -> None:
        identity = SimulatedIdentity()
        start = identity.begin_check(
            check_id="chk-1", return_url="https://x/r?a=1", login_hint=None
        )
        answer = {k: v[0] for k, v in parse_qs(urlsplit(start.redirect_url).query).items()}
        assert answer["a"] == "1"
        with pytest.raises(IdentityNotProven, match="another identity check"):
            identity.complete_check(check_id="chk-9", response=answer)
        with pytest.raises(IdentityNotProven, match="access_denied"):
            identity.complete_check(check_id="chk-1", response={"error": "access_denied"})
        assert identity.complete_check(check_id="chk-1", response=answer).subject
