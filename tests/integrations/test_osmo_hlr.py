"""The osmo-hlr adapter against a real osmo-hlr, over CTRL: bar, unbar, delete, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simexit.cases.ports import GatewayError
from simexit.integrations.osmo_hlr.client import (
    OsmoHlrClient,
    OsmoHlrOptions,
    SubscriberUnknown,
)
from simexit.integrations.osmo_hlr.ctrl import CtrlConnection, CtrlError, frame, parse
from simexit.integrations.registry import REGISTRY
from tests.fixtures.osmo_hlr import RunningHlr, running_osmo_hlr


@pytest.fixture(scope="module")
def hlr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHlr]:
    with running_osmo_hlr(tmp_path_factory.mktemp("osmo-hlr")) as running:
        yield running


def test_frames_are_ipa_osmo_ctrl() -> None:
    assert frame("GET 1 x") == b"\x00\x08\xee\x00GET 1 x"
    assert parse(b"SET_REPLY 7 subscriber.delete 1") == ("SET_REPLY", "7", "subscriber.delete 1")


def test_the_adapter_is_registered_for_the_network_port() -> None:
    adapter = REGISTRY.network["osmo-hlr"]
    assert adapter.simulated is False
    assert adapter.options is OsmoHlrOptions
    with pytest.raises(ValueError, match="less than or equal to 20"):
        OsmoHlrOptions(host="10.0.0.5", timeout_seconds=60.0)  # must stay under the job lease


class TestAgainstOsmoHlr:
    def test_bar_disables_ps_and_cs_and_reactivate_enables_them(self, hlr: RunningHlr) -> None:
        hlr.provision(imsi="901700000000101", msisdn="+4740000101")
        client = hlr.client()
        client.bar_outgoing(imsi=None, msisdn="+4740000101")
        info = client.subscriber("+4740000101")
        assert info is not None
        assert (info["nam_ps"], info["nam_cs"]) == ("0", "0")
        client.bar_outgoing(imsi=None, msisdn="+4740000101")  # idempotent
        client.reactivate(imsi="901700000000101", msisdn="+4740000101")
        info = client.subscriber("+4740000101")
        assert info is not None
        assert (info["nam_ps"], info["nam_cs"]) == ("1", "1")

    def test_remove_deletes_the_subscriber_and_is_idempotent(self, hlr: RunningHlr) -> None:
        hlr.provision(imsi="901700000000102", msisdn="+4740000102")
        client = hlr.client()
        client.deactivate(imsi=None, msisdn="+4740000102")
        client.remove(imsi=None, msisdn="+4740000102")
        assert client.subscriber("+4740000102") is None
        client.remove(imsi=None, msisdn="+4740000102")
        with CtrlConnection(hlr.host, 4259, timeout=5) as ctrl, pytest.raises(CtrlError):
            ctrl.get("subscriber.by-imsi-901700000000102.info")

    def test_reactivating_a_deleted_subscriber_creates_it_again(self, hlr: RunningHlr) -> None:
        client = hlr.client()
        client.reactivate(imsi="901700000000103", msisdn="+4740000103")
        info = client.subscriber("+4740000103")
        assert info is not None
        assert (info["imsi"], info["nam_ps"], info["nam_cs"]) == ("901700000000103", "1", "1")

    def test_barring_an_unknown_number_is_a_refusal_retrying_cannot_fix(
        self, hlr: RunningHlr
    ) -> None:
        with pytest.raises(SubscriberUnknown) as raised:
            hlr.client().bar_outgoing(imsi=None, msisdn="+4740000199")
        assert raised.value.retryable is False
        hlr.client().deactivate(imsi=None, msisdn="+4740000199")  # the end state already holds

    def test_an_unreachable_hlr_is_a_retryable_error(self, hlr: RunningHlr) -> None:
        down = OsmoHlrClient(OsmoHlrOptions(host=hlr.host, port=1, timeout_seconds=1.0))
        with pytest.raises(GatewayError, match="unreachable during disable") as raised:
            down.bar_outgoing(imsi=None, msisdn="+4740000101")
        assert raised.value.retryable is True
