"""The gateways file: how it is read, what each bad value says, and the production rule. Pure:
no database; the environment is a dict handed in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.integrations.simulated import SimulatedHss, SimulatedSmdp
from simexit.operators.gateways import (
    SIMULATED,
    GatewayConfigError,
    GatewayPlan,
    Port,
    default_plan,
    load_gateway_plan,
)
from tests.fixtures.gateways import LabHlr, LabHlrOptions, lab_registry

ENV = {"TELENOR_HSS_PASSWORD": "s3cret"}

EXAMPLE = """
[default]
sandbox = true

[operators.telenor-no]
sandbox = false
channels = ["sms", "email"]
network = { adapter = "lab-hlr", host = "hlr.telenor.example", password_env = "TELENOR_HSS_PASSWORD" }

[operators.ice-no]
esim = { adapter = "simulated" }
"""


def load(tmp_path: Path, text: str, *, name: str = "gateways.toml", **env: str) -> GatewayPlan:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_gateway_plan(path, catalog=lab_registry().catalog(), environ={**ENV, **env})


def refused(tmp_path: Path, text: str, *, name: str = "gateways.toml") -> str:
    with pytest.raises(GatewayConfigError) as caught:
        load(tmp_path, text, name=name)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"invalid gateways file {tmp_path / name}: "), message
    return message


class TestWithoutAFile:
    def test_every_operator_gets_every_port_simulated_and_is_not_a_sandbox(self) -> None:
        plan = load_gateway_plan(None, catalog=REGISTRY.catalog(), environ={})
        assert plan == default_plan()
        for code in ("default", "telenor-no", "anything"):
            each = plan.for_operator(code)
            assert each.sandbox is False
            assert {p: c.adapter for p, c in each.ports.items()} == dict.fromkeys(Port, SIMULATED)
            assert each.simulated_ports() == tuple(Port)

    def test_the_directory_builds_the_simulated_adapters(self) -> None:
        gateways = GatewayDirectory(default_plan()).for_operator("telenor-no")
        assert isinstance(gateways.network, SimulatedHss)
        assert isinstance(gateways.esim, SimulatedSmdp)


class TestAGoodFile:
    def test_sections_fall_back_to_the_default_then_to_simulated(self, tmp_path: Path) -> None:
        plan = load(tmp_path, EXAMPLE)
        telenor = plan.for_operator("telenor-no")
        assert telenor.sandbox is False
        assert telenor.ports[Port.network].adapter == "lab-hlr"
        assert telenor.ports[Port.network].simulated is False
        assert telenor.ports[Port.esim].adapter == SIMULATED
        assert telenor.channels == ("sms", "email")  # kept for the notifications, not used
        ice = plan.for_operator("ice-no")
        assert ice.sandbox is True  # from the default section
        assert ice.channels is None
        unlisted = plan.for_operator("att-us")
        assert unlisted.operator == "att-us"
        assert unlisted.sandbox is True

    def test_secrets_come_from_the_named_environment_variable(self, tmp_path: Path) -> None:
        options = load(tmp_path, EXAMPLE).for_operator("telenor-no").ports[Port.network].options
        assert isinstance(options, LabHlrOptions)
        assert options.password.get_secret_value() == "s3cret"
        assert options.host == "hlr.telenor.example"
        assert options.port == 4259
        assert "s3cret" not in repr(options)

    def test_json_with_the_same_shape_reads_the_same(self, tmp_path: Path) -> None:
        body = {
            "default": {"sandbox": True},
            "operators": {
                "telenor-no": {
                    "sandbox": False,
                    "channels": ["sms", "email"],
                    "network": {
                        "adapter": "lab-hlr",
                        "host": "hlr.telenor.example",
                        "password_env": "TELENOR_HSS_PASSWORD",
                    },
                },
                "ice-no": {"esim": {"adapter": "simulated"}},
            },
        }
        from_json = load(tmp_path, json.dumps(body), name="gateways.json")
        from_toml = load(tmp_path, EXAMPLE)
        assert from_json.default == from_toml.default
        assert from_json.operators == from_toml.operators

    def test_each_operator_gets_instances_of_its_own_built_once(self, tmp_path: Path) -> None:
        directory = GatewayDirectory(load(tmp_path, EXAMPLE), registry=lab_registry())
        telenor, ice, att = (directory.for_operator(c) for c in ("telenor-no", "ice-no", "att-us"))
        assert isinstance(telenor.network, LabHlr)
        assert telenor.network.options is not None
        assert telenor.network.options.host == "hlr.telenor.example"
        assert type(ice.network) is SimulatedHss
        assert ice.network is not att.network  # same adapter, separate state
        assert directory.for_operator("telenor-no") is telenor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "osmo-hrl" }',
            "operator telenor-no, port network: unknown adapter 'osmo-hrl' (known: lab, lab-hlr, osmo-hlr, pyhss, signed-webhook, simulated, tmf641)",
            id="unknown adapter",
        ),
        pytest.param(
            '[operators.telenor-no]\nhss = { adapter = "simulated" }',
            "operator telenor-no: unknown key 'hss' (expected sandbox, channels or a port: "
            "network, esim, oss, billing, payments, identity)",
            id="unknown port",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "lab-hlr", host = "h", password_env = "NOT_SET" }',
            "operator telenor-no, port network: adapter 'lab-hlr', option password_env: "
            "environment variable NOT_SET is not set",
            id="missing env var",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "lab-hlr", host = "h", password = "hunter2" }',
            "operator telenor-no, port network: adapter 'lab-hlr', option password: a secret is "
            "never written in the file; give password_env = the NAME of an environment variable",
            id="secret in the file",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "lab-hlr", host = "h" }',
            "operator telenor-no, port network: adapter 'lab-hlr', option password_env: missing",
            id="secret missing",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "lab-hlr", host = "h", password_env = "lower-case!" }',
            "operator telenor-no, port network: adapter 'lab-hlr', option password_env: must be "
            "the name of an environment variable",
            id="bad env var name",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "lab-hlr", host = "h", port = "4259", '
            'password_env = "TELENOR_HSS_PASSWORD" }',
            "operator telenor-no, port network: adapter 'lab-hlr', option port: Input should be a "
            "valid integer",
            id="option of the wrong type",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = { adapter = "lab-hlr", hots = "h", '
            'password_env = "TELENOR_HSS_PASSWORD" }',
            "operator telenor-no, port network: adapter 'lab-hlr', option hots: not an option of "
            "this adapter",
            id="unknown option",
        ),
        pytest.param(
            '[operators.telenor-no]\nesim = { adapter = "simulated", fail = true }',
            "operator telenor-no, port esim: adapter 'simulated', option fail: not an option of "
            "this adapter",
            id="simulated takes no options",
        ),
        pytest.param(
            '[operators.telenor-no]\nsandbox = "yes"',
            "operator telenor-no: sandbox: Input should be a valid boolean",
            id="sandbox not a boolean",
        ),
        pytest.param(
            "[default]\nsandbox = 1",
            "default: sandbox: Input should be a valid boolean",
            id="default sandbox not a boolean",
        ),
        pytest.param(
            '[operators.telenor-no]\nbilling = { host = "b" }',
            'operator telenor-no, port billing: adapter: missing (such as adapter = "simulated")',
            id="no adapter named",
        ),
        pytest.param(
            '[operators.telenor-no]\nnetwork = "simulated"',
            'operator telenor-no, port network: must be a table such as { adapter = "simulated" }',
            id="port not a table",
        ),
        pytest.param(
            "[operators.telenor-no]\nnetwork = { adapter = 3 }",
            "operator telenor-no, port network: adapter: Input should be a valid string",
            id="adapter not a string",
        ),
        pytest.param(
            "[operators.telenor-no]\nchannels = [1]",
            "operator telenor-no: channels.0: Input should be a valid string",
            id="channels not names",
        ),
        pytest.param(
            "[operators]\ntelenor-no = true",
            "operator telenor-no: must be a table of ports, not a boolean",
            id="operator not a table",
        ),
        pytest.param(
            "[defaults]\nsandbox = true",
            "unknown section 'defaults' (expected default and operators)",
            id="unknown section",
        ),
        pytest.param("[default\n", "not valid TOML: ", id="not TOML"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_file_operator_port_and_rule(
    tmp_path: Path, text: str, expected: str
) -> None:
    message = refused(tmp_path, text)
    assert expected in message


def test_every_problem_is_on_the_one_line(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        '[operators.a]\nnetwork = { adapter = "x" }\n[operators.b]\noss = { adapter = "y" }',
    )
    assert "operator a, port network: unknown adapter 'x'" in message
    assert "operator b, port oss: unknown adapter 'y'" in message


def test_bad_json_and_other_suffixes_are_named(tmp_path: Path) -> None:
    assert "not valid JSON: " in refused(tmp_path, "{", name="gateways.json")
    assert "must be a .toml or .json file" in refused(tmp_path, "", name="gateways.yaml")
    message = refused(tmp_path, "[1, 2]", name="gateways.json")
    assert "the file must hold a table of sections" in message


class TestAgainstTheDatabase:
    def test_an_operator_code_the_database_does_not_have_is_refused(self, tmp_path: Path) -> None:
        plan = load(tmp_path, EXAMPLE)
        plan.check_operators({"telenor-no", "ice-no", "att-us"})
        with pytest.raises(GatewayConfigError) as caught:
            plan.check_operators({"telenor-no", "telia-no"})
        message = str(caught.value)
        assert message == (
            f"invalid gateways file {tmp_path / 'gateways.toml'}: operator ice-no: no operator "
            "has this code in the database (known: telenor-no, telia-no)"
        )


class TestProduction:
    def test_without_a_file_production_is_refused(self) -> None:
        with pytest.raises(GatewayConfigError) as caught:
            default_plan().check_production(["telenor-no"])
        message = str(caught.value)
        assert "\n" not in message
        assert "SIMEXIT_GATEWAYS_FILE is not set" in message
        assert "production" in message
        assert "default, ports network, esim, oss, billing, payments, identity" in message

    def test_an_operator_not_marked_sandbox_on_a_simulated_port_is_refused(
        self, tmp_path: Path
    ) -> None:
        plan = load(tmp_path, EXAMPLE)  # telenor-no: real network, simulated rest, not sandbox
        with pytest.raises(GatewayConfigError) as caught:
            plan.check_production(["telenor-no", "ice-no"])
        message = str(caught.value)
        assert "\n" not in message
        assert f"gateways file {tmp_path / 'gateways.toml'} refused in production" in message
        assert (
            "operator telenor-no, ports esim, oss, billing, payments, identity: simulated, "
            "and not marked sandbox = true"
        ) in message
        assert "ice-no" not in message  # a sandbox by the default section

    def test_the_default_counts_for_operators_added_later(self, tmp_path: Path) -> None:
        plan = load(tmp_path, "[operators.telenor-no]\nsandbox = true")
        with pytest.raises(GatewayConfigError, match=r"default, ports network"):
            plan.check_production(["telenor-no"])

    def test_sandboxes_and_operators_on_real_adapters_pass(self, tmp_path: Path) -> None:
        real = "".join(f'{port} = {{ adapter = "lab" }}\n' for port in Port)
        plan = load(tmp_path, f"[default]\nsandbox = true\n[operators.telenor-no]\n{real}")
        plan.check_production(["telenor-no", "ice-no"])
        assert plan.for_operator("telenor-no").simulated_ports() == ()
        load(tmp_path, f"[default]\n{real}").check_production(["telenor-no"])


class TestTheReadmeExample:
    """README.md's example is the file's real shape, and its quoted error is the real one."""

    README = Path(__file__).resolve().parents[2] / "README.md"

    def example(self, tmp_path: Path) -> Path:
        text = self.README.read_text(encoding="utf-8")
        section = text[text.index("### Gateways\n") :]
        block = section[section.index("```toml\n") + len("```toml\n") :]
        path = tmp_path / "gateways.toml"
        path.write_text(block[: block.index("```")], encoding="utf-8")
        return path

    def test_a_misspelt_adapter_is_refused_with_the_line_the_readme_quotes(
        self, tmp_path: Path
    ) -> None:
        path = self.example(tmp_path)
        path.write_text(path.read_text(encoding="utf-8").replace("osmo-hlr", "osmo-hrl"))
        with pytest.raises(GatewayConfigError) as caught:
            load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=ENV)
        quoted = (
            "operator telenor-no, port network: unknown adapter 'osmo-hrl' "
            "(known: osmo-hlr, pyhss, signed-webhook, simulated, tmf641)"
        )
        assert str(caught.value) == f"invalid gateways file {path}: {quoted}"
        assert quoted in self.README.read_text(encoding="utf-8")

    def test_it_loads_with_the_real_registry(self, tmp_path: Path) -> None:
        plan = load_gateway_plan(self.example(tmp_path), catalog=REGISTRY.catalog(), environ=ENV)
        network = plan.for_operator("telenor-no").ports[Port.network]
        assert network.adapter == "osmo-hlr"
        assert network.options.model_dump() == {
            "host": "hlr.telenor.example",
            "port": 4259,
            "timeout_seconds": 5.0,
        }
        assert plan.for_operator("telenor-no").channels == ("sms", "email")
        assert plan.default.sandbox is True
        assert plan.for_operator("telenor-no").sandbox is False
