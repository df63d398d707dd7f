"""`simexit gateways check` against a real SQLite file: the table per operator, and the same
refusals as start-up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simexit.audit.signing import generate_private_key_pem
from simexit.cli import app
from simexit.config import get_settings
from simexit.operators.gateways import GatewayConfigError


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("SIMEXIT_GATEWAYS_FILE", raising=False)
    monkeypatch.delenv("SIMEXIT_ENV", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _rows(output: str) -> dict[str, list[str]]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("operator "))
    return {
        cells[0]: cells[1:]
        for line in lines[start + 1 :]
        if (cells := line.split()) and not line.startswith("note:")
    }


def _seeded(runner: CliRunner) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "demo"]).exit_code == 0


def test_without_a_file_every_operator_is_simulated_and_not_a_sandbox(env: Path) -> None:
    runner = CliRunner()
    _seeded(runner)
    result = runner.invoke(app, ["gateways", "check"])
    assert result.exit_code == 0, result.output
    assert "gateways file: none (SIMEXIT_GATEWAYS_FILE is not set)" in result.output
    rows = _rows(result.output)
    assert len(rows) == 11  # the default and the ten demo operators
    assert rows["(default)"] == ["no", *["simulated"] * 6]
    assert rows["telenor-no"] == ["no", *["simulated"] * 6]
    assert "note: production would refuse this" in result.output


def test_a_file_shows_each_operator_with_its_sandbox_mark(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    _seeded(runner)
    (env / "gateways.toml").write_text(
        '[default]\nsandbox = true\n[operators.telenor-no]\nsandbox = false\nchannels = ["sms"]\n'
    )
    monkeypatch.setenv("SIMEXIT_GATEWAYS_FILE", "gateways.toml")
    get_settings.cache_clear()
    result = runner.invoke(app, ["gateways", "check"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert rows["(default)"][0] == "yes"
    assert rows["att-us"][0] == "yes"
    assert rows["telenor-no"][0] == "no"
    assert "simulated adapters for telenor-no, not marked sandbox = true" in result.output


def test_an_unknown_operator_code_is_refused_once_the_database_is_there(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    (env / "gateways.toml").write_text("[operators.telenor-se]\nsandbox = true\n")
    monkeypatch.setenv("SIMEXIT_GATEWAYS_FILE", "gateways.toml")
    get_settings.cache_clear()
    unchecked = runner.invoke(app, ["gateways", "check"])
    assert unchecked.exit_code == 0, unchecked.output
    assert "operator codes not checked" in unchecked.output
    assert "telenor-se" in _rows(unchecked.output)
    _seeded(runner)
    checked = runner.invoke(app, ["gateways", "check"])
    assert isinstance(checked.exception, GatewayConfigError)
    assert "operator telenor-se: no operator has this code in the database" in str(
        checked.exception
    )


def test_production_refuses_what_start_up_refuses(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    _seeded(runner)
    monkeypatch.setenv("SIMEXIT_ENV", "production")
    monkeypatch.setenv("SIMEXIT_SECRET_KEY", "p" * 40)
    key = env / "audit-key.pem"
    key.write_bytes(generate_private_key_pem())
    monkeypatch.setenv("SIMEXIT_AUDIT_SIGNING_KEY_FILE", str(key))
    get_settings.cache_clear()
    result = runner.invoke(app, ["gateways", "check"])
    assert isinstance(result.exception, GatewayConfigError)
    assert "SIMEXIT_GATEWAYS_FILE is not set" in str(result.exception)
