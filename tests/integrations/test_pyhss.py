"""The pyHSS adapter against the fake pyHSS process, and what the fake refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from simexit.cases.ports import GatewayError
from simexit.integrations.pyhss.client import PyHssClient, PyHssOptions, SubscriberUnknown
from tests.fixtures.pyhss import KEY, RunningPyHss, running_pyhss


@pytest.fixture(scope="module")
def hss(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPyHss]:
    with running_pyhss(tmp_path_factory.mktemp("pyhss")) as running:
        yield running


_numbers = iter(range(4744000000, 4744999999))


def _subscriber(hss: RunningPyHss) -> tuple[str, int]:
    n = next(_numbers)
    created = hss.provision(imsi=f"90170{n:010d}", msisdn=f"+{n}")
    return f"+{n}", int(created["subscriber_id"])


def test_bar_twice_patches_once_and_reactivate_enables(hss: RunningPyHss) -> None:
    msisdn, subscriber_id = _subscriber(hss)
    client = hss.client()
    client.bar_outgoing(imsi=None, msisdn=msisdn)
    client.bar_outgoing(imsi=None, msisdn=msisdn)  # already disabled: nothing sent
    patches = [c for c in hss.calls() if c["path"] == f"/subscriber/{subscriber_id}"]
    assert [(c["method"], c["body"]) for c in patches] == [("PATCH", {"enabled": False})]
    client.reactivate(imsi=None, msisdn=msisdn)
    found = client.subscriber(msisdn)
    assert found is not None
    assert found["enabled"] is True


def test_remove_disables_before_it_deletes_and_is_idempotent(hss: RunningPyHss) -> None:
    msisdn, subscriber_id = _subscriber(hss)
    client = hss.client()
    client.remove(imsi=None, msisdn=msisdn)
    client.remove(imsi=None, msisdn=msisdn)
    calls = [
        (c["method"], c["status"]) for c in hss.calls() if c["path"].endswith(f"/{subscriber_id}")
    ]
    assert calls == [("PATCH", 200), ("DELETE", 200)]
    assert client.subscriber(msisdn) is None


def test_an_unknown_number_bars_nothing_but_deactivating_it_is_done(hss: RunningPyHss) -> None:
    client = hss.client()
    with pytest.raises(SubscriberUnknown) as unknown:
        client.bar_outgoing(imsi=None, msisdn="+4799999999")
    assert not unknown.value.retryable
    client.deactivate(imsi=None, msisdn="+4799999999")


def test_the_fake_refuses_what_the_contract_refuses(hss: RunningPyHss) -> None:
    _, subscriber_id = _subscriber(hss)
    path = f"/subscriber/{subscriber_id}"
    keyed = {"provisioning-key": KEY}
    assert hss.raw("DELETE", path, headers=keyed).status_code == 400  # still enabled
    assert hss.raw("PATCH", path, json={"enabled": False}).status_code == 401  # no key
    assert hss.raw("PATCH", path, json={"enabled": "no"}, headers=keyed).status_code == 400
    assert hss.raw("PATCH", path, json={"colour": "red"}, headers=keyed).status_code == 400
    unknown = hss.raw("PATCH", "/subscriber/999999", json={"enabled": False}, headers=keyed)
    assert unknown.status_code == 404
    assert unknown.json()["result"] == "Failed"


def test_a_write_without_the_provisioning_key_is_a_visible_refusal(hss: RunningPyHss) -> None:
    msisdn, _ = _subscriber(hss)
    client = PyHssClient(PyHssOptions(base_url=hss.base_url, timeout_seconds=3.0))
    with pytest.raises(GatewayError, match="HTTP 401: Unauthorized") as refused:
        client.bar_outgoing(imsi=None, msisdn=msisdn)
    assert not refused.value.retryable


def test_a_down_hss_is_a_retryable_failure(tmp_path: Path) -> None:
    with running_pyhss(tmp_path) as hss:
        client = hss.client()
    with pytest.raises(GatewayError, match="unreachable") as down:
        client.deactivate(imsi=None, msisdn="+4741234567")
    assert down.value.retryable


def test_options_refused() -> None:
    with pytest.raises(ValidationError):
        PyHssOptions(base_url="ftp://hss.example")
