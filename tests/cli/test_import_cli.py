"""`simexit import lines`: the sample file, a dry run, a broken file, rejected rows on disk."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from simexit.cli import app
from simexit.config import get_settings
from simexit.db import Database
from simexit.errors import DomainError
from simexit.models import AuditEvent, Line
from tests.imports import base_files

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "import-sample.csv"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "demo"]).exit_code == 0
    yield path
    get_settings.cache_clear()


def _imported(path: Path) -> int:
    db = Database(f"sqlite:///{path}")
    with db.read_session() as session:
        count = session.scalar(
            select(func.count()).select_from(Line).where(Line.external_id.is_not(None))
        )
    db.engine.dispose()
    return int(count or 0)


def test_the_sample_file_imports_once_and_then_changes_nothing(env: Path) -> None:
    runner = CliRunner()
    dry = runner.invoke(
        app, ["import", "lines", str(SAMPLE), "--operator", "telenor-no", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "3 lines would be created" in dry.output
    assert _imported(env) == 0
    first = runner.invoke(app, ["import", "lines", str(SAMPLE), "--operator", "telenor-no"])
    assert first.exit_code == 0, first.output
    assert "3 lines created" in first.output
    again = runner.invoke(app, ["import", "lines", str(SAMPLE), "--operator", "telenor-no"])
    assert "0 lines created, 0 updated, 3 unchanged" in again.output
    assert _imported(env) == 3
    db = Database(f"sqlite:///{env}")
    with db.read_session() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "import"))
        )
    db.engine.dispose()
    assert actions == ["import.dry_run", "import.completed", "import.completed"]


def test_rejected_rows_are_written_beside_the_file(env: Path, tmp_path: Path) -> None:
    source = tmp_path / "base.csv"
    source.write_bytes(base_files.csv_bytes(base_files.rows(60, broken_every=20)))
    result = CliRunner().invoke(
        app, ["import", "lines", str(source), "--operator", "telenor-no", "--checkers", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "3 rejected" in result.output
    with (tmp_path / "base.csv.rejected.csv").open(newline="") as report:
        rows = list(csv.DictReader(report))
    assert {int(r["row"]): (r["field"], r["rule"]) for r in rows} == base_files.broken_rows(60, 20)


def test_a_file_that_cannot_be_read_is_refused_before_anything_starts(
    env: Path, tmp_path: Path
) -> None:
    """A domain error, which `simexit`'s entry point prints as one line with exit status 2."""
    source = tmp_path / "bad.csv"
    source.write_text("external_id,colour\nL1,red\n")
    result = CliRunner().invoke(app, ["import", "lines", str(source), "--operator", "telenor-no"])
    assert isinstance(result.exception, DomainError)
    assert result.exception.field == "header"
    assert "unknown column 'colour'" in str(result.exception)
    assert not (tmp_path / "bad.csv.rejected.csv").exists()
    unknown = CliRunner().invoke(app, ["import", "lines", str(SAMPLE), "--operator", "nobody"])
    assert isinstance(unknown.exception, DomainError)
    assert "no operator with code 'nobody'" in str(unknown.exception)
