"""Real `simexit serve` and `simexit worker` processes and the gateways file: production refuses
simulated gateways for operators not marked sandbox (one line, exit 2), starts when they are,
and a bad file stops a process before it touches the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from simexit import migrate
from simexit.db import make_engine
from simexit.policies.loader import load_registry
from tests.cli.test_startup_processes import (
    DEADLINE_SECONDS,
    SECRET,
    Started,
    serve,
    signing_key,
    wait_all_ready,
    worker,
)
from tests.fixtures.factories import create_operator

pytestmark = pytest.mark.slow


def production(directory: Path) -> dict[str, str]:
    """What production needs besides the gateways: a real secret and an audit signing key."""
    return {
        "SIMEXIT_ENV": "production",
        "SIMEXIT_SECRET_KEY": SECRET,
        "SIMEXIT_AUDIT_SIGNING_KEY_FILE": signing_key(directory),
    }


@pytest.fixture
def processes() -> Iterator[list[Started]]:
    running: list[Started] = []
    yield running
    for each in running:
        each.stop()


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite file with one operator, `acme-no` (production seeds no demo)."""
    url = f"sqlite:///{tmp_path / 'gateways.db'}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with Session(engine) as session:
            create_operator(session, packs=load_registry(), code="acme-no")
            session.commit()
    finally:
        engine.dispose()
    return url


def gateways_file(directory: Path, text: str) -> str:
    path = directory / "gateways.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def one_line(run: Started) -> str:
    assert run.process.wait(DEADLINE_SECONDS) == 2, run.log()
    lines = run.log().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("start", [serve, worker], ids=["serve", "worker"])
def test_production_refuses_an_operator_on_simulated_gateways_not_marked_sandbox(
    tmp_path: Path, database: str, start: object
) -> None:
    path = gateways_file(
        tmp_path, "[default]\nsandbox = true\n[operators.acme-no]\nsandbox = false\n"
    )
    assert callable(start)
    run: Started = start(
        tmp_path, database, "refused", SIMEXIT_GATEWAYS_FILE=path, **production(tmp_path)
    )
    line = one_line(run)
    assert line.startswith(f"error: gateways file {path} refused in production"), line
    assert "operator acme-no, ports network, esim, oss, billing, payments, identity" in line
    assert "sandbox = true" in line
    assert "listening on" not in run.log()


def test_production_without_a_gateways_file_is_refused(tmp_path: Path, database: str) -> None:
    line = one_line(worker(tmp_path, database, "no-file", **production(tmp_path)))
    assert "SIMEXIT_GATEWAYS_FILE is not set" in line
    assert "production" in line


def test_production_starts_when_every_operator_on_simulated_gateways_is_a_sandbox(
    tmp_path: Path, database: str, processes: list[Started]
) -> None:
    path = gateways_file(tmp_path, "[default]\nsandbox = true\n")
    processes.append(
        serve(tmp_path, database, "server", SIMEXIT_GATEWAYS_FILE=path, **production(tmp_path))
    )
    processes.append(
        worker(tmp_path, database, "worker", SIMEXIT_GATEWAYS_FILE=path, **production(tmp_path))
    )
    wait_all_ready(processes)
    for each in processes:
        assert "Traceback" not in each.log()


def test_an_unknown_operator_code_is_one_line_after_migrating(
    tmp_path: Path, database: str
) -> None:
    path = gateways_file(tmp_path, "[operators.acme-se]\nsandbox = true\n")
    line = one_line(worker(tmp_path, database, "unknown", SIMEXIT_GATEWAYS_FILE=path))
    assert line == (
        f"error: invalid gateways file {path}: operator acme-se: no operator has this code in "
        "the database (known: acme-no)"
    )


def test_a_bad_file_stops_before_the_database_is_touched(tmp_path: Path) -> None:
    path = gateways_file(tmp_path, '[operators.acme-no]\nhss = { adapter = "simulated" }\n')
    run = serve(
        tmp_path, f"sqlite:///{tmp_path / 'untouched.db'}", "bad-file", SIMEXIT_GATEWAYS_FILE=path
    )
    line = one_line(run)
    assert line.startswith(
        f"error: invalid gateways file {path}: operator acme-no: unknown key 'hss'"
    )
    assert not (tmp_path / "untouched.db").exists()
