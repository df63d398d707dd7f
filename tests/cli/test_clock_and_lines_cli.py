"""`simexit clock` and `simexit lines list` against a real SQLite file with the demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from simexit.cli import app
from simexit.config import get_settings
from simexit.db import Database
from simexit.errors import InvalidInput, NotFound
from simexit.jobs.registry import per_operator_specs
from simexit.models import AuditEvent, Operator, TestClock
from simexit.testclocks.errors import NotForward, NotSandbox


@pytest.fixture
def demo_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("COLUMNS", "240")  # rich tables: one row per line
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    seeded = CliRunner().invoke(app, ["seed", "demo"])
    assert seeded.exit_code == 0, seeded.output
    yield path
    get_settings.cache_clear()


def _database(path: Path) -> Database:
    return Database(f"sqlite:///{path}")


def test_seeding_prints_demo_lines_and_where_codes_appear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("COLUMNS", "240")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        seeded = CliRunner().invoke(app, ["seed", "demo"])
    finally:
        get_settings.cache_clear()
    assert seeded.exit_code == 0, seeded.output
    assert "Demo lines to try" in seeded.output
    rows = re.findall(r"(\+\d{10,11}) +│ ([a-z0-9-]+) +│ (\w+) +│ (.+?) +│", seeded.output)
    assert len(rows) >= 8
    situations = [row[3] for row in rows]
    assert len(set(situations)) == len(situations)  # one line per situation
    assert any("port-out pending" in text for text in situations)
    assert any(text.startswith("terminated 20 days ago") for text in situations)
    assert {row[1][-2:] for row in rows} == {"no", "us", "ru"}
    assert "/console/messages" in seeded.output


def test_lines_list_shows_the_situation(demo_file: Path) -> None:
    listed = CliRunner().invoke(
        app, ["lines", "list", "--operator", "mts-ru", "--status", "terminated"]
    )
    assert listed.exit_code == 0, listed.output
    assert "terminated 20 days ago" in listed.output
    assert len(re.findall(r"\+7\d{10}", listed.output)) == 1


def test_lines_list_filters_and_pages(demo_file: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["lines", "list", "--operator", "telenor-no", "--limit", "3"])
    assert first.exit_code == 0, first.output
    more = re.search(r"more: --after (\+\d+)", first.output)
    assert more is not None, first.output
    shown = re.findall(r"\+47\d+", first.output)
    assert len(set(shown) - {more.group(1)}) == 2
    second = runner.invoke(
        app, ["lines", "list", "--operator", "telenor-no", "--limit", "3", "--after", more.group(1)]
    )
    assert second.exit_code == 0, second.output
    assert not set(re.findall(r"\+47\d{8}", second.output)) & set(shown)
    none = runner.invoke(app, ["lines", "list", "--operator", "nobody"])
    assert "no lines match" in none.output
    bad = runner.invoke(app, ["lines", "list", "--status", "nonsense"])
    assert bad.exit_code != 0


def test_clock_advance_makes_moves_and_audits(demo_file: Path) -> None:
    runner = CliRunner()
    assert "no test clocks" in runner.invoke(app, ["clock", "show"]).output
    moved = runner.invoke(app, ["clock", "advance", "--operator", "telenor-no", "--days", "14"])
    assert moved.exit_code == 0, moved.output
    assert "made a test clock for telenor-no" in moved.output
    # Every per-operator scan the worker has (the CLI imported their task modules).
    scans = len(per_operator_specs())
    assert scans >= 7
    assert re.search(rf"ran {scans} scans and \d+ jobs; 0 due jobs", moved.output)
    shown = runner.invoke(app, ["clock", "show", "--operator", "telenor-no"])
    assert "telenor-no" in shown.output
    db = _database(demo_file)
    with db.read_session() as session:
        clock = session.scalars(select(TestClock)).one()
        frozen = clock.frozen_time
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(clock.id)))
        )
    assert sorted(actions) == ["test_clock.advanced", "test_clock.created"]
    back = runner.invoke(
        app,
        ["clock", "advance", "--operator", "telenor-no", "--to", frozen.isoformat()],
    )
    # `simexit` itself prints a refusal as one red line, exit status 2 (`cli.run`).
    assert isinstance(back.exception, NotForward)
    assert "only moves forward" in str(back.exception)
    earlier = frozen.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    cut = runner.invoke(app, ["clock", "advance", "--operator", "telenor-no", "--to", earlier])
    assert isinstance(cut.exception, NotForward)  # seconds cut off: still not after the clock
    db.engine.dispose()


def test_clock_refuses_a_production_operator_and_bad_input(demo_file: Path) -> None:
    db = _database(demo_file)
    with db.session() as session:
        session.execute(update(Operator).where(Operator.code == "att-us").values(sandbox=False))
    db.engine.dispose()
    runner = CliRunner()
    refused = runner.invoke(app, ["clock", "advance", "--operator", "att-us", "--days", "1"])
    assert isinstance(refused.exception, NotSandbox)
    unknown = runner.invoke(app, ["clock", "advance", "--operator", "nobody", "--days", "1"])
    assert isinstance(unknown.exception, NotFound)
    assert "no operator with code 'nobody'" in str(unknown.exception)
    naive = runner.invoke(
        app, ["clock", "advance", "--operator", "telenor-no", "--to", "2027-01-01T00:00"]
    )
    assert isinstance(naive.exception, InvalidInput)
    assert "time zone" in str(naive.exception)
    with db.read_session() as session:
        assert session.scalars(select(TestClock)).first() is None
    db.engine.dispose()


def test_the_program_prints_a_refusal_as_one_line(demo_file: Path) -> None:
    """Through `cli.run`, as the `simexit` program runs: exit status 2 and the rule."""
    db = _database(demo_file)
    with db.session() as session:
        session.execute(update(Operator).where(Operator.code == "ice-no").values(sandbox=False))
    db.engine.dispose()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "simexit",
            "clock",
            "advance",
            "--operator",
            "ice-no",
            "--days",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SIMEXIT_DATABASE_URL": f"sqlite:///{demo_file}"},
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: this operator is not a sandbox")
