"""The signed provisioning webhook adapter against the fake receiver process, which checks every
call's Standard Webhooks signature with its own implementation of the algorithm."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from simexit.cases.ports import GatewayError
from simexit.integrations.registry import REGISTRY
from simexit.integrations.signed_webhook.client import SignedWebhook
from simexit.kit.standard_webhooks import generate_secret, signed_headers
from simexit.operators.gateways import GatewayConfigError, Port, load_gateway_plan
from tests.fixtures.signed_webhook import SECRET, RunningReceiver, running_receiver


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningReceiver]:
    with running_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


def _applied(receiver: RunningReceiver, call_id: str) -> list[dict[str, Any]]:
    return [a for a in receiver.applied() if a["id"] == call_id]


class TestCalls:
    @pytest.mark.parametrize("operation", ["bar_outgoing", "deactivate", "reactivate", "remove"])
    def test_a_network_call_arrives_signed_and_verified(
        self, receiver: RunningReceiver, operation: str
    ) -> None:
        call_id = f"simexit-case-1-{operation}"
        getattr(receiver.adapter(), operation)(
            imsi="901700000000001", msisdn="+4740000001", call_id=call_id
        )
        [applied] = _applied(receiver, call_id)
        assert applied == {
            "id": call_id,
            "type": f"network.{operation}",
            "call_id": call_id,
            "data": {"msisdn": "+4740000001", "imsi": "901700000000001"},
        }

    def test_a_billing_close_arrives_with_the_line_and_its_last_day(
        self, receiver: RunningReceiver
    ) -> None:
        receiver.adapter().close_account(
            line_ref="L-0042", billing_end=date(2026, 12, 31), call_id="simexit-case-2-billing"
        )
        [applied] = _applied(receiver, "simexit-case-2-billing")
        assert applied["type"] == "billing.close_account"
        assert applied["data"] == {"line_ref": "L-0042", "billing_end": "2026-12-31"}

    def test_a_repeated_call_has_the_same_webhook_id_and_is_applied_once(
        self, receiver: RunningReceiver
    ) -> None:
        adapter = receiver.adapter()
        for _ in range(2):  # a worker that died before recording the first answer tries again
            adapter.deactivate(imsi=None, msisdn="+4740000002", call_id="simexit-case-3-deact")
        assert len(_applied(receiver, "simexit-case-3-deact")) == 1
        repeats = [c for c in receiver.calls() if c["id"] == "simexit-case-3-deact"]
        assert [(c["status"], c["repeat"]) for c in repeats] == [(200, False), (200, True)]

    def test_a_call_without_a_call_id_gets_a_fresh_webhook_id(
        self, receiver: RunningReceiver
    ) -> None:
        adapter = receiver.adapter()
        adapter.bar_outgoing(imsi=None, msisdn="+4740000003")
        adapter.bar_outgoing(imsi=None, msisdn="+4740000003")
        ids = [a["id"] for a in receiver.applied() if a["data"].get("msisdn") == "+4740000003"]
        assert len(ids) == 2
        assert len(set(ids)) == 2


class TestFailures:
    def test_a_refused_signature_is_a_permanent_failure_naming_the_answer(
        self, receiver: RunningReceiver
    ) -> None:
        wrong = receiver.adapter(secret=generate_secret())
        with pytest.raises(GatewayError) as failed:
            wrong.deactivate(imsi=None, msisdn="+4740000004", call_id="simexit-case-4-deact")
        assert failed.value.retryable is False
        assert "HTTP 401" in str(failed.value)
        assert "signature refused: no signature matches" in str(failed.value)
        assert _applied(receiver, "simexit-case-4-deact") == []

    def test_the_receiver_refuses_a_stale_or_altered_signature(
        self, receiver: RunningReceiver
    ) -> None:
        body = json.dumps({"type": "network.remove", "call_id": "old", "data": {}})
        stale = signed_headers(
            SECRET, message_id="old", timestamp=int(time.time()) - 3600, body=body
        )
        answer = receiver.post(body.encode(), stale)
        assert answer.status_code == 401
        assert "too old" in answer.json()["error"]
        fresh = signed_headers(SECRET, message_id="old", timestamp=int(time.time()), body=body)
        altered = body.replace("network.remove", "network.reactivate").encode()
        assert receiver.post(altered, fresh).status_code == 401
        assert receiver.post(body.encode(), {"content-type": "application/json"}).status_code == 401
        assert _applied(receiver, "old") == []

    def test_a_503_is_retryable_and_the_retry_is_acknowledged(
        self, receiver: RunningReceiver
    ) -> None:
        adapter = receiver.adapter()
        receiver.answer("billing.close_account", 503)
        try:
            with pytest.raises(GatewayError) as failed:
                adapter.close_account(line_ref="L-5", billing_end=None, call_id="simexit-case-5")
        finally:
            receiver.answer("billing.close_account", None)
        assert failed.value.retryable is True
        assert "HTTP 503" in str(failed.value)
        adapter.close_account(line_ref="L-5", billing_end=None, call_id="simexit-case-5")
        [applied] = _applied(receiver, "simexit-case-5")
        assert applied["data"] == {"line_ref": "L-5", "billing_end": None}

    def test_a_receiver_that_is_down_is_retryable(self, tmp_path: Path) -> None:
        with running_receiver(tmp_path) as gone:
            adapter = gone.adapter()
        with pytest.raises(GatewayError) as failed:
            adapter.remove(imsi=None, msisdn="+4740000006", call_id="simexit-case-6")
        assert failed.value.retryable is True
        assert "no answer" in str(failed.value)


ENV = {"TEST_HOOK_SECRET": SECRET, "TEST_BAD_SECRET": "not-a-whsec-secret"}


def _load(tmp_path: Path, options: str, environ: dict[str, str] = ENV) -> SignedWebhook:
    path = tmp_path / "gateways.toml"
    for port in ("network", "billing"):
        path.write_text(
            f'[default]\nsandbox = true\n{port} = {{ adapter = "signed-webhook", {options} }}\n',
            encoding="utf-8",
        )
        plan = load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=environ)
        built = REGISTRY.build(plan.default.ports)
    assert isinstance(built.billing, SignedWebhook)
    assert isinstance(plan.default.ports[Port.billing].options, type(built.billing.options))
    return built.billing


GOOD = 'url = "https://billing.example.net/hooks", secret_env = "TEST_HOOK_SECRET"'


class TestGatewaysFile:
    def test_good_options_build_the_adapter_for_both_ports(self, tmp_path: Path) -> None:
        adapter = _load(tmp_path, GOOD + ", timeout_seconds = 2.5")
        assert adapter.options.url == "https://billing.example.net/hooks"
        assert adapter.options.timeout_seconds == 2.5
        assert adapter.options.secret.get_secret_value() == SECRET

    @pytest.mark.parametrize(
        ("options", "option"),
        [
            ('url = "http://billing.example.net/hooks", secret_env = "TEST_HOOK_SECRET"', "url"),
            ('url = "ftp://127.0.0.1/hooks", secret_env = "TEST_HOOK_SECRET"', "url"),
            ('url = "https://billing.example.net/hooks"', "secret_env"),
            (GOOD + ", timeout_seconds = 60.0", "timeout_seconds"),
            (GOOD + ", timeout_seconds = 0.0", "timeout_seconds"),
            ('url = "https://b.example.net/", secret_env = "TEST_BAD_SECRET"', "secret"),
            ('url = "https://b.example.net/", secret = "whsec_abc"', "secret"),
            (GOOD + ", retries = 3", "retries"),
        ],
    )
    def test_a_bad_option_is_refused_by_its_name(
        self, tmp_path: Path, options: str, option: str
    ) -> None:
        with pytest.raises(GatewayConfigError) as refused:
            _load(tmp_path, options)
        message = str(refused.value)
        assert "adapter 'signed-webhook'" in message
        assert f"option {option}" in message

    def test_an_unset_secret_variable_is_refused_by_its_name(self, tmp_path: Path) -> None:
        with pytest.raises(GatewayConfigError, match="TEST_HOOK_SECRET is not set"):
            _load(tmp_path, GOOD, environ={})

    def test_plain_http_is_allowed_to_a_loopback_receiver(self, tmp_path: Path) -> None:
        adapter = _load(
            tmp_path, 'url = "http://127.0.0.1:8080/h", secret_env = "TEST_HOOK_SECRET"'
        )
        assert adapter.options.url == "http://127.0.0.1:8080/h"
