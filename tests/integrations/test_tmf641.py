"""The TMF641 OSS adapter against the fake OSS process, which checks every order against the
vendored TMF641 v4.0.0 specification."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from simexit.cases.ports import GatewayError, ServiceOrder
from simexit.integrations.tmf641.client import Tmf641Client, Tmf641Options
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
