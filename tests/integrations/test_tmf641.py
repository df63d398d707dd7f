"""The TMF641 OSS adapter against the fake OSS process, which checks every order against the
vendored TMF641 v4.0.0 specification."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from simexit.cases.ports import GatewayError, ServiceOrder
from simexit.integrations.tmf641.client import Tmf641Client, Tmf641Options
from simexit.integrations.tmf641.network import Tmf641Network, Tmf641NetworkOptions
from tests.fixtures.tmf641 import RunningOss, running_oss

SPEC = Path(__file__).parents[1] / "fakes" / "tmf641_spec"
SHARED = Path(__file__).parents[3] / "shared" / "specs" / "tmf"


@pytest.fixture(scope="module")
def oss(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOss]:
    with running_oss(tmp_path_factory.mktemp("oss")) as running:
        yield running


def test_the_vendored_specification_is_the_published_one() -> None:
    for line in (SPEC / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((SPEC / name).read_bytes()).hexdigest() == digest, name
        if SHARED.is_dir():
            assert f"{digest}  ./TMF641/spec/{name}" in (SHARED / "SHA256SUMS").read_text()


def test_a_delete_order_is_created_once_for_its_external_id(oss: RunningOss) -> None:
    order = ServiceOrder("case-1.terminate", "delete", "line-1", date(2026, 12, 31))
    client = oss.client()
    first = client.submit_service_order(order)
    again = client.submit_service_order(order)  # a retry after a lost answer
    assert first == again
    posts = [c for c in oss.calls() if c["method"] == "POST"]
    assert [c["status"] for c in posts] == [201]
    body = posts[0]["body"]
    assert body["externalId"] == "case-1.terminate"
    assert body["requestedCompletionDate"] == "2026-12-31T00:00:00Z"
    assert body["serviceOrderItem"][0]["action"] == "delete"
    assert body["serviceOrderItem"][0]["service"]["id"] == "line-1"


def test_a_modify_order_without_a_date(oss: RunningOss) -> None:
    order_id = oss.client().submit_service_order(ServiceOrder("case-2", "modify", "line-2"))
    assert order_id.startswith("SO-")


@pytest.mark.parametrize(
    "body",
    [
        {"externalId": "x"},  # no serviceOrderItem
        {"serviceOrderItem": [{"id": "1", "service": {"id": "s"}}]},  # no action
        {"serviceOrderItem": [{"id": "1", "action": "remove", "service": {"id": "s"}}]},
        {"serviceOrderItem": [{"id": "1", "action": "delete", "service": {}}], "priority": 3},
    ],
)
def test_the_fake_refuses_an_order_the_specification_refuses(
    oss: RunningOss, body: dict[str, object]
) -> None:
    answer = oss.post(body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "400"
    assert answer.json()["message"]


def test_a_missing_token_is_refused(oss: RunningOss) -> None:
    client = Tmf641Client(Tmf641Options(base_url=oss.base_url, timeout_seconds=3.0))
    with pytest.raises(GatewayError, match="HTTP 401") as refused:
        client.submit_service_order(ServiceOrder("case-3", "delete", "line-3"))
    assert not refused.value.retryable


def test_a_down_oss_is_a_retryable_failure(tmp_path: Path) -> None:
    with running_oss(tmp_path) as oss:
        client = oss.client()
    with pytest.raises(GatewayError, match="unreachable") as down:
        client.submit_service_order(ServiceOrder("case-4", "delete", "line-4"))
    assert down.value.retryable


class TestTheNetworkPort:
    """`Tmf641Network`: the network port as service orders, each read until the OSS ends it."""

    def network(self, oss: RunningOss, **options: Any) -> Tmf641Network:
        base = oss.options().model_dump()
        return Tmf641Network(
            Tmf641NetworkOptions(**{**base, "poll_interval_seconds": 0.01, **options})
        )

    def test_a_repeated_call_finds_its_order_and_orders_nothing_twice(
        self, oss: RunningOss
    ) -> None:
        network = self.network(oss)
        network.deactivate(imsi=None, msisdn="+4790000001", call_id="simexit-c1-hss_deactivate")
        # a worker killed between the call and its commit: the next try repeats the call
        network.deactivate(imsi=None, msisdn="+4790000001", call_id="simexit-c1-hss_deactivate")
        assert [o["externalId"] for o in oss.orders_posted("+4790000001")] == [
            "simexit-c1-hss_deactivate"
        ]

    def test_an_order_still_open_is_a_retryable_failure_and_the_retry_reads_it_again(
        self, oss: RunningOss
    ) -> None:
        network = self.network(oss, completion_wait_seconds=0.0)
        with pytest.raises(GatewayError, match=r"order SO-\d+ still acknowledged") as open_:
            network.bar_outgoing(imsi=None, msisdn="+4790000002", call_id="simexit-c2-bar")
        assert open_.value.retryable
        self.network(oss).bar_outgoing(imsi=None, msisdn="+4790000002", call_id="simexit-c2-bar")
        [order] = oss.orders_posted("+4790000002")
        assert order["serviceOrderItem"][0]["service"]["state"] == "inactive"

    def test_a_failed_order_is_not_retryable_and_names_the_oss_reason(
        self, oss: RunningOss
    ) -> None:
        oss.fail("+4790000003", "modify", "no such service in the inventory")
        try:
            with pytest.raises(GatewayError, match="failed: no such service") as failed:
                self.network(oss).reactivate(imsi=None, msisdn="+4790000003", call_id="c3")
        finally:
            oss.fail("+4790000003", "modify", None)
        assert not failed.value.retryable

    def test_the_service_id_may_be_the_imsi(self, oss: RunningOss) -> None:
        network = self.network(oss, service_id="imsi")
        network.deactivate(imsi="901700000000004", msisdn="+4790000004", call_id="c4")
        assert len(oss.orders_posted("901700000000004")) == 1
        with pytest.raises(GatewayError, match="no IMSI") as missing:
            network.deactivate(imsi=None, msisdn="+4790000005", call_id="c5")
        assert not missing.value.retryable

    def test_number_release_orders_nothing(self, oss: RunningOss) -> None:
        self.network(oss).remove(imsi=None, msisdn="+4790000006", call_id="c6")
        assert oss.orders_posted("+4790000006") == []


def test_a_refused_order_names_the_oss_reason_and_message(oss: RunningOss) -> None:
    network = TestTheNetworkPort().network(oss)
    client = network.client
    bad = ServiceOrder("case-5", "modify", "line-5", service_state="asleep")  # no such state
    with pytest.raises(GatewayError, match=r"HTTP 400: Bad Request: .*asleep") as refused:
        client.place(bad)
    assert not refused.value.retryable
