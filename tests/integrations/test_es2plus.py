"""The ES2+ client against the fake SM-DP+ process, and the fake's own strictness: a request the
vendored schemas (or SGP.22 beyond them) refuse is refused, so the client's passing requests
prove something."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from simexit.cases.ports import GatewayError, ProfileNotCancellable
from simexit.integrations.es2plus.client import Es2PlusClient, Es2PlusOptions
from simexit.integrations.es2plus.status import Es2PlusFailed
from tests.fixtures.smdp_plus import REQUESTER, RunningSmdp, running_smdp

SCHEMAS = Path(__file__).parents[1] / "fakes" / "es2plus_schemas"
SHARED = Path(__file__).parents[3] / "shared" / "specs" / "es2plus"
PROTOCOL = {"X-Admin-Protocol": "gsma/rsp/v2.2.0"}
HEADER = {"functionRequesterIdentifier": REQUESTER, "functionCallIdentifier": "raw-1"}


@pytest.fixture(scope="module")
def smdp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSmdp]:
    with running_smdp(tmp_path_factory.mktemp("smdp")) as running:
        yield running


_serial = iter(range(100_000, 999_999))


def _iccid() -> str:
    return f"8947020000000{next(_serial):06d}"


def test_the_vendored_schemas_are_the_published_ones() -> None:
    sums = [line.split(maxsplit=1) for line in (SCHEMAS / "SHA256SUMS").read_text().splitlines()]
    assert len(sums) == 10
    for digest, name in sums:
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name
    if SHARED.is_dir():  # the shared copy they came from, where the checkout has it
        assert (SHARED / "SHA256SUMS").read_text() == (SCHEMAS / "SHA256SUMS").read_text()


def test_cancel_order_sends_the_es2plus_header_and_reads_the_status(smdp: RunningSmdp) -> None:
    iccid = _iccid()
    smdp.seed(iccid, "Released")
    client = smdp.client(final_profile_status="Available")
    client.cancel_order(iccid=iccid, eid=None, matching_id=None, call_id="c-1")
    assert smdp.state(iccid) == "Available"
    [call] = [c for c in smdp.calls("cancelOrder") if c["body"]["iccid"] == iccid]
    assert call["admin_protocol"] == "gsma/rsp/v2.2.0"
    assert call["body"]["header"] == {
        "functionRequesterIdentifier": REQUESTER,
        "functionCallIdentifier": "c-1",
    }
    assert call["body"]["finalProfileStatusIndicator"] == "Available"
    assert call["answer"]["header"]["functionExecutionStatus"]["status"] == "Executed-Success"


def test_a_repeated_call_identifier_is_answered_as_the_first_time(smdp: RunningSmdp) -> None:
    """A worker that died after the call and before its commit sends the same call again."""
    iccid = _iccid()
    smdp.seed(iccid, "Released")
    client = smdp.client()
    client.cancel_order(iccid=iccid, eid=None, matching_id=None, call_id="again-1")
    client.cancel_order(iccid=iccid, eid=None, matching_id=None, call_id="again-1")
    assert smdp.state(iccid) == "Unavailable"
    with pytest.raises(ProfileNotCancellable):  # a new call is a new request: refused, final
        client.cancel_order(iccid=iccid, eid=None, matching_id=None, call_id="again-2")


@pytest.mark.parametrize("state", ["Downloaded", "Installed", "Unavailable"])
def test_cancel_order_of_a_profile_past_release_is_refused(smdp: RunningSmdp, state: str) -> None:
    iccid = _iccid()
    smdp.seed(iccid, state)
    with pytest.raises(ProfileNotCancellable) as refused:
        smdp.client().cancel_order(iccid=iccid, eid=None, matching_id=None, call_id=iccid)
    assert "8.2.1 (Profile ICCID) / 3.8 (refused)" in str(refused.value)
    assert smdp.state(iccid) == state


def test_an_unknown_iccid_is_8_2_1_3_9_and_not_retried(smdp: RunningSmdp) -> None:
    with pytest.raises(Es2PlusFailed) as failed:
        smdp.client().cancel_order(iccid=_iccid(), eid=None, matching_id=None, call_id="u-1")
    assert (failed.value.subject, failed.value.reason) == ("8.2.1", "3.9")
    assert not failed.value.retryable
    assert not isinstance(failed.value, ProfileNotCancellable)


def test_an_eid_that_is_not_the_profiles_is_8_1_1_3_10(smdp: RunningSmdp) -> None:
    iccid = _iccid()
    smdp.seed(iccid, "Released", eid="1" * 32)
    with pytest.raises(Es2PlusFailed) as failed:
        smdp.client().cancel_order(iccid=iccid, eid="2" * 32, matching_id=None, call_id="e-1")
    assert (failed.value.subject, failed.value.reason) == ("8.1.1", "3.10")


def test_download_and_confirm_order_release_a_new_profile(smdp: RunningSmdp) -> None:
    iccid = _iccid()
    smdp.seed(iccid, "Available", profileType="P-INT")
    profile = smdp.client(profile_type="P-INT").order_profile(eid="3" * 32, call_id="n-1")
    assert profile.iccid == iccid
    assert profile.matching_id
    assert profile.smdp_address == "smdp.fake.invalid"
    assert smdp.state(iccid) == "Released"
    with pytest.raises(Es2PlusFailed) as none_left:
        smdp.client(profile_type="P-INT").order_profile(eid=None, call_id="n-2")
    assert (none_left.value.subject, none_left.value.reason) == ("8.2.5", "3.7")


class TestTheFakeIsStrict:
    def test_cancel_order_without_final_profile_status_is_refused(self, smdp: RunningSmdp) -> None:
        """The vendored schema requires only `iccid`; SGP.22 §5.3.4 makes the status
        mandatory, and the fake follows SGP.22."""
        iccid = _iccid()
        smdp.seed(iccid, "Released")
        answer = smdp.post("cancelOrder", {"header": HEADER, "iccid": iccid}, PROTOCOL)
        assert answer.status_code == 400
        status = answer.json()["header"]["functionExecutionStatus"]
        assert status["status"] == "Failed"
        assert status["statusCodeData"]["reasonCode"] == "1.1"
        assert "finalProfileStatusIndicator" in status["statusCodeData"]["message"]
        assert smdp.state(iccid) == "Released"

    @pytest.mark.parametrize(
        ("body", "subject"),
        [
            ({"iccid": "89470"}, "8.2.1"),  # the schema's ICCID pattern: 19-20 digits
            ({"iccid": "8947020000000000001", "eid": "123"}, "8.1.1"),
            ({"iccid": "8947020000000000001", "finalProfileStatusIndicator": "Gone"}, "8.1"),
        ],
    )
    def test_a_malformed_field_is_refused_by_the_schema_check(
        self, smdp: RunningSmdp, body: dict[str, str], subject: str
    ) -> None:
        full = {"header": HEADER, "finalProfileStatusIndicator": "Unavailable", **body}
        answer = smdp.post("cancelOrder", full, PROTOCOL)
        assert answer.status_code == 400
        data = answer.json()["header"]["functionExecutionStatus"]["statusCodeData"]
        assert (data["subjectCode"], data["reasonCode"]) == (subject, "2.2")
        assert data["message"].startswith("schema: ")

    def test_a_request_without_the_header_is_refused(self, smdp: RunningSmdp) -> None:
        answer = smdp.post("releaseProfile", {"iccid": _iccid()}, PROTOCOL)
        assert answer.status_code == 400
        data = answer.json()["header"]["functionExecutionStatus"]["statusCodeData"]
        assert data["message"] == 'schema: (body): "header" is a required property'
        assert data["reasonCode"] == "1.1"

    @pytest.mark.parametrize("protocol", [None, "gsma/rsp/v1.0", "http"])
    def test_a_missing_or_wrong_x_admin_protocol_is_refused(
        self, smdp: RunningSmdp, protocol: str | None
    ) -> None:
        headers = {} if protocol is None else {"X-Admin-Protocol": protocol}
        body = {"header": HEADER, "iccid": _iccid(), "finalProfileStatusIndicator": "Available"}
        answer = smdp.post("cancelOrder", body, headers)
        assert answer.status_code == 400
        assert (
            "X-Admin-Protocol"
            in answer.json()["header"]["functionExecutionStatus"]["statusCodeData"]["message"]
        )


def test_a_peer_that_is_down_is_a_retryable_failure(tmp_path: Path) -> None:
    with running_smdp(tmp_path) as smdp:
        client = smdp.client()
    with pytest.raises(GatewayError) as down:
        client.cancel_order(iccid=_iccid(), eid=None, matching_id=None, call_id="d-1")
    assert down.value.retryable
    assert "unreachable during ES2+ CancelOrder" in str(down.value)


def test_the_smdp_certificate_is_checked(smdp: RunningSmdp) -> None:
    """Without the CA that signed the fake's certificate, the client refuses to talk to it."""
    client = Es2PlusClient(
        Es2PlusOptions(base_url=smdp.base_url, requester_id=REQUESTER, timeout_seconds=3.0)
    )
    with pytest.raises(GatewayError, match="unreachable"):
        client.cancel_order(iccid=_iccid(), eid=None, matching_id=None, call_id="t-1")


@pytest.mark.parametrize(
    "options",
    [
        {"base_url": "http://smdp.example", "requester_id": "op"},  # ES2+ is HTTPS
        {"base_url": "https://smdp.example", "requester_id": ""},
        {"base_url": "https://smdp.example", "requester_id": "op", "admin_protocol": "v2"},
        {"base_url": "https://smdp.example", "requester_id": "op", "client_cert_file": "c"},
    ],
)
def test_options_refused(options: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Es2PlusOptions(**options)  # type: ignore[arg-type]
