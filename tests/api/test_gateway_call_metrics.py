"""/metrics shows each gateway call's latency and its errors by gateway and operation."""

from __future__ import annotations

import re

import pytest

from simexit.errors import GatewayError
from simexit.kit.gateway_metrics import gateway_call
from simexit.runtime import Runtime
from tests.api.conftest import TestClient


class FlakyHlr:
    pass


def _value(text: str, name: str, labels: str) -> float:
    found = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_calls_and_errors_are_on_metrics(client: TestClient, runtime: Runtime) -> None:
    errors = 'adapter="FlakyHlr",gateway="network",operation="bar_outgoing",retryable="false"'
    calls = 'adapter="FlakyHlr",gateway="network",operation="bar_outgoing"'
    before = client.get("/metrics").text
    with gateway_call(gateway="network", adapter=FlakyHlr(), operation="bar_outgoing"):
        pass
    with (
        pytest.raises(GatewayError),
        gateway_call(gateway="network", adapter=FlakyHlr(), operation="bar_outgoing"),
    ):
        raise GatewayError("no such subscriber", retryable=False)
    after = client.get("/metrics").text
    count = "simexit_gateway_call_duration_seconds_count"
    assert _value(after, count, calls) == _value(before, count, calls) + 2
    errors_total = "simexit_gateway_call_errors_total"
    assert _value(after, errors_total, errors) == _value(before, errors_total, errors) + 1
    buckets = [
        line
        for line in after.splitlines()
        if line.startswith("simexit_gateway_call_duration_seconds_bucket{")
        and 'adapter="FlakyHlr"' in line
    ]
    assert any('le="0.005"' in line for line in buckets)
