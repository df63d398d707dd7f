"""Real `simexit serve` and `simexit worker` processes starting on an empty database: many at
once all come up (the start-up lock), production gets no demo, a taken port and a bad setting
are one line before anything is served.

No timing assertions: the helpers wait, with a generous deadline, for readiness or an exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from simexit import migrate
from simexit.audit.signing import generate_private_key_pem
from tests.conftest import _postgres_server_url

pytestmark = pytest.mark.slow

SIMEXIT = Path(sys.executable).parent / "simexit"
DEADLINE_SECONDS = 180
SECRET = "a-production-secret-of-more-than-32-characters"


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    output: Path
    port: int | None = None

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = _postgres_server_url()
    if server is None:
        pytest.skip("SIMEXIT_TEST_DATABASE_URL is not set; PostgreSQL tier skipped")
    name = f"simexit_startup_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def started() -> Iterator[list[Started]]:
    processes: list[Started] = []
    yield processes
    for each in processes:
        each.stop()


def launch(
    arguments: list[str], directory: Path, database_url: str, label: str, **variables: str
) -> Started:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIMEXIT_")},
        "SIMEXIT_DATABASE_URL": database_url,
        "SIMEXIT_LOG_LEVEL": "INFO",
        "SIMEXIT_LOG_JSON": "true",
        **variables,
    }
    output = directory / f"{label}.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(SIMEXIT), *arguments], cwd=directory, env=env, stdout=sink, stderr=sink
        )
    return Started(process, output)


def signing_key(directory: Path) -> str:
    """Production refuses to start without an audit signing key file."""
    path = directory / "audit-key.pem"
    if not path.exists():
        path.write_bytes(generate_private_key_pem())
    return str(path)


def serve(directory: Path, database_url: str, label: str, **variables: str) -> Started:
    port = free_port()
    server = launch(
        ["serve", "--no-worker", "--port", str(port)], directory, database_url, label, **variables
    )
    server.port = port
    return server


def worker(directory: Path, database_url: str, label: str, **variables: str) -> Started:
    return launch(
        ["worker", "--worker-id", label, "--poll-seconds", "0.2"],
        directory,
        database_url,
        label,
        **variables,
    )


def is_ready(each: Started) -> bool:
    if each.port is None:  # a worker: it says so once its loop runs
        return '"worker.started"' in each.log()
    try:
        return httpx.get(f"http://127.0.0.1:{each.port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_all_ready(processes: list[Started]) -> None:
    waiting = list(processes)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while waiting:
        for each in processes:
            if each.process.poll() is not None:
                pytest.fail(
                    f"{each.output.name} exited with {each.process.returncode}:\n{each.log()[-3000:]}"
                )
        waiting = [each for each in waiting if not is_ready(each)]
        if waiting and time.monotonic() > deadline:
            pytest.fail(f"not ready: {[each.output.name for each in waiting]}")
        time.sleep(0.2)


def count(database_url: str, table: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
    finally:
        engine.dispose()


def test_two_servers_and_two_workers_started_at_once_on_an_empty_database_all_come_up(
    empty_database: str, tmp_path: Path, started: list[Started]
) -> None:
    # All four are started before any has finished importing, so they reach the empty
    # database together; local, so the servers also race to seed the demo.
    for label in ("server-a", "server-b"):
        started.append(serve(tmp_path, empty_database, label, SIMEXIT_ENV="local"))
    for label in ("worker-a", "worker-b"):
        started.append(worker(tmp_path, empty_database, label, SIMEXIT_ENV="local"))

    wait_all_ready(started)

    assert all(each.process.poll() is None for each in started)
    logs = {each.output.name: each.log() for each in started}
    for name, log in logs.items():
        assert "Traceback" not in log, f"{name}:\n{log[-3000:]}"
    # The demo went in once, by exactly one server, under the lock; the workers never seed.
    seeders = [name for name, log in logs.items() if "seeded 10 demo operators" in log]
    assert len(seeders) == 1, seeders
    assert seeders[0].startswith("server-")
    assert count(empty_database, "operators") == 10
    engine = create_engine(empty_database)
    try:
        assert migrate.is_at_head(engine)
    finally:
        engine.dispose()


def test_production_on_an_empty_database_gets_no_demo(
    empty_database: str, tmp_path: Path, started: list[Started]
) -> None:
    # Production refuses simulated gateways unless the operators are marked sandbox.
    gateways = tmp_path / "gateways.toml"
    gateways.write_text("[default]\nsandbox = true\n", encoding="utf-8")
    server = serve(
        tmp_path,
        empty_database,
        "production",
        SIMEXIT_ENV="production",
        SIMEXIT_SECRET_KEY=SECRET,
        SIMEXIT_GATEWAYS_FILE=str(gateways),
        SIMEXIT_AUDIT_SIGNING_KEY_FILE=signing_key(tmp_path),
    )
    started.append(server)
    wait_all_ready(started)
    server.stop()

    for table in ("operators", "staff_users", "api_keys", "lines", "subscribers"):
        assert count(empty_database, table) == 0, table
    log = server.log()
    assert "listening on" in log
    assert "API key" not in log
    assert "demo-password" not in log
    assert "seeded" not in log


def test_production_refuses_the_demo_even_when_asked(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    env = {
        "SIMEXIT_ENV": "production",
        "SIMEXIT_SECRET_KEY": SECRET,
        "SIMEXIT_AUDIT_SIGNING_KEY_FILE": signing_key(tmp_path),
    }
    for arguments, extra in (
        (["seed", "demo"], {}),
        (["serve", "--no-worker", "--port", str(free_port())], {"SIMEXIT_SEED_DEMO": "true"}),
    ):
        run = launch(arguments, tmp_path, database, "refused", **env, **extra)
        assert run.process.wait(DEADLINE_SECONDS) == 2
        lines = run.log().strip().splitlines()
        assert len(lines) == 1, lines
        assert "demo" in lines[0]
        assert "production" in lines[0]
    assert not (tmp_path / "p.db").exists() or count(database, "operators") == 0


def test_a_taken_port_is_one_line_before_listening(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        run = launch(
            ["serve", "--no-worker", "--port", str(port)],
            tmp_path,
            f"sqlite:///{tmp_path / 'x.db'}",
            "taken",
        )
        assert run.process.wait(DEADLINE_SECONDS) == 2
    log = run.log()
    assert log.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert "listening on" not in log
    assert not (tmp_path / "x.db").exists()  # it stopped before touching the database


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SIMEXIT_POLICY_DIRS", "/no/such/dir"), ("SIMEXIT_TRUSTED_PROXIES", "10.0.0.1,proxy")],
)
@pytest.mark.parametrize("command", [["serve"], ["worker"], ["db", "current"]])
def test_a_bad_list_value_is_one_line_and_no_traceback(
    tmp_path: Path, variable: str, value: str, command: list[str]
) -> None:
    run = launch(command, tmp_path, f"sqlite:///{tmp_path / 'x.db'}", "bad", **{variable: value})
    assert run.process.wait(DEADLINE_SECONDS) == 2
    lines = run.log().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: invalid settings: {variable}: ")
