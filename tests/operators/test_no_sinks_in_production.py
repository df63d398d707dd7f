"""Production refuses the local message sink for operators that are not sandboxes.

Messages on a channel without a transport stay in the console's sink, sign-in codes among them,
where staff could read them; a real operator's subscribers would also never get them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from simexit.config import Settings
from simexit.integrations.transports import build_channels, sink_channel_names
from simexit.operators.gateways import GatewayConfigError, GatewayPlan, load_gateway_plan
from tests.fixtures.gateways import lab_registry

ENV = {"TELENOR_HSS_PASSWORD": "s3cret"}
FILE = """
[default]
sandbox = true

[operators.telenor-no]
sandbox = false
channels = {channels}
"""


def _plan(tmp_path: Path, channels: str) -> GatewayPlan:
    path = tmp_path / "gateways.toml"
    path.write_text(FILE.format(channels=channels), encoding="utf-8")
    return load_gateway_plan(path, catalog=lab_registry().catalog(), environ=ENV)


def test_a_real_operator_with_a_sink_channel_is_refused_naming_it(tmp_path: Path) -> None:
    plan = _plan(tmp_path, '["email", "sms"]')
    with pytest.raises(GatewayConfigError) as refused:
        plan.check_no_sinks(
            ["telenor-no", "ice-no"], channels=("email", "sms"), sinks=frozenset({"sms"})
        )
    message = str(refused.value)
    assert "\n" not in message
    assert "operator telenor-no" in message
    assert "channels sms have no transport" in message
    assert "ice-no" not in message  # a sandbox (from the default) may use the sink


def test_leaving_the_sink_channel_out_is_accepted(tmp_path: Path) -> None:
    plan = _plan(tmp_path, '["email"]')
    plan.check_no_sinks(["telenor-no"], channels=("email", "sms"), sinks=frozenset({"sms"}))


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"smtp_host": "mail.example"},
        {"kannel_sendsms_url": "http://kannel.example:13013/cgi-bin/sendsms"},
        {"smtp_host": "mail.example", "push_url": "https://push.example/send"},
    ],
)
def test_the_settings_reading_agrees_with_the_channels_built(settings: dict[str, str]) -> None:
    configured = Settings(secret_key=SecretStr("k" * 40), **settings)  # type: ignore[arg-type]
    names, sinks = sink_channel_names(configured)
    built = build_channels(configured)
    assert names == built.names
    assert sinks == {channel.name for channel in built if channel.transport is None}
