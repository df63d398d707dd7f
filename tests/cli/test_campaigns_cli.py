"""`simexit campaigns ...` against a real SQLite file with the demo: four eyes, run, report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simexit.campaigns.errors import SameApprover
from simexit.cli import app
from simexit.config import get_settings
from simexit.db import Database
from simexit.jobs import run_pending
from simexit.runtime import runtime_from_env

AGENT, SUPERVISOR = "agent@telenor-no.demo", "supervisor@telenor-no.demo"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "demo"]).exit_code == 0
    yield path
    get_settings.cache_clear()


def test_create_dry_run_approve_watch_and_report(database: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        ["campaigns", "create", "--as", AGENT, "--name", "pause all", "--action", "suspend"],
    )
    assert created.exit_code == 0, created.output
    campaign_id = json.loads(created.output)["id"]
    dry = runner.invoke(app, ["campaigns", "dry-run", campaign_id, "--as", AGENT])
    assert dry.exit_code == 0, dry.output
    figures = json.loads(dry.output)
    assert figures["selected"] >= figures["acted"] > 0

    refused = runner.invoke(app, ["campaigns", "approve", campaign_id, "--as", AGENT])
    assert isinstance(refused.exception, SameApprover)
    approved = runner.invoke(app, ["campaigns", "approve", campaign_id, "--as", SUPERVISOR])
    assert approved.exit_code == 0, approved.output

    runtime = runtime_from_env()
    runtime.prepare_jobs()
    run_pending(Database(runtime.settings.database_url), worker_id="cli-test")
    watched = runner.invoke(app, ["campaigns", "watch", campaign_id, "--as", AGENT])
    assert watched.exit_code == 0, watched.output
    shown = json.loads(runner.invoke(app, ["campaigns", "show", campaign_id, "--as", AGENT]).output)
    assert shown["status"] == "done"
    assert shown["counts"].get("done") == figures["acted"]
    report = runner.invoke(app, ["campaigns", "lines", campaign_id, "--as", AGENT])
    rows = report.output.strip().splitlines()
    assert rows[0] == "line_id,msisdn,outcome,reason,case_id,acted_at"
    assert len(rows) - 1 == figures["selected"]
