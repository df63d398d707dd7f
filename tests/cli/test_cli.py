"""The CLI against a real SQLite file: migrate, seed, list, decide, verify the audit chain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simexit.cli import app
from simexit.config import get_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_upgrade_seed_list_and_verify(env: Path) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    seeded = runner.invoke(app, ["seed", "demo"])
    assert seeded.exit_code == 0, seeded.output
    assert re.search(r"seeded 10 demo operators and \d+ lines", seeded.output)
    assert "sx_" in seeded.output
    again = runner.invoke(app, ["seed", "demo"])
    assert "already present" in again.output
    listed = runner.invoke(app, ["cases", "list"])
    assert listed.exit_code == 0, listed.output
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "chain intact" in verified.output


def test_bad_arguments_are_named(env: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["db", "upgrade"])
    shown = runner.invoke(app, ["cases", "show", "not-a-uuid"])
    assert shown.exit_code != 0
    assert "not a case id" in shown.output
    listed = runner.invoke(app, ["cases", "list", "--status", "nonsense"])
    assert listed.exit_code != 0
    assert "nonsense" in listed.output


def test_diagram_is_current(tmp_path: Path) -> None:
    repository_doc = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"
    output = tmp_path / "workflow.md"
    result = CliRunner().invoke(app, ["cases", "diagram", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text() == repository_doc.read_text(), (
        "docs/workflow.md is stale: run `make diagram`"
    )
