"""`simexit serve` as a real process: first start seeds, a case goes from open to approved over
HTTP, and SIGTERM in the middle of traffic leaves no half-written case."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

SIMEXIT = Path(sys.executable).parent / "simexit"

# Base URL, the process, its database file and its captured output.
Server = tuple[str, subprocess.Popen[bytes], Path, Path]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[bytes], bound: float = 90.0) -> None:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        assert process.poll() is None, "simexit serve exited during start-up"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("simexit serve did not become ready")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    database = tmp_path / "x.db"
    out = tmp_path / "out.txt"
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": f"sqlite:///{database}",
        "SIMEXIT_LOG_JSON": "true",
        "SIMEXIT_ENV": "local",
    }
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [str(SIMEXIT), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, process)
        yield base, process, database, out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def demo_key(out: Path) -> str:
    found = re.search(r"API key telenor-no: (sx_\S+)", out.read_text())
    assert found, out.read_text()[:2000]
    return found.group(1)


def a_clean_line(database: Path) -> tuple[str, str]:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT lines.id, lines.msisdn FROM lines JOIN operators ON operators.id = lines.operator_id "
            "WHERE operators.code = 'telenor-no' AND lines.status = 'active' AND lines.plan = 'postpaid' "
            "AND lines.kind = 'physical_sim' AND lines.unpaid_bills_minor = 0 AND lines.port_pending = 0 LIMIT 1"
        ).fetchone()
    return str(row[0]), str(row[1])


def test_first_start_seeds_and_a_case_goes_from_open_to_approved(server: Server) -> None:
    base, _process, database, out = server
    headers = {"Authorization": f"Bearer {demo_key(out)}"}
    assert "listening on" in out.read_text()
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        _, msisdn = a_clean_line(database)
        found = client.get("/v1/lines", params={"msisdn": msisdn}).json()["items"]
        line_id = found[0]["id"]
        case = client.post(
            "/v1/cases",
            json={"line_id": line_id, "reason": "moving"},
            headers={"Idempotency-Key": "open-1"},
        ).json()
        assert (
            client.post(
                f"/v1/cases/{case['id']}/identity", json={"method": "id_document"}
            ).status_code
            == 201
        )
        submitted = client.post(f"/v1/cases/{case['id']}/submit", json={"consent": "yes"}).json()
        if submitted["status"] == "in_review":
            submitted = client.post(
                f"/v1/cases/{case['id']}/approve", json={"note": "checked"}
            ).json()
        assert submitted["status"] in {"approved", "executing", "completed"}
        events = client.get(f"/v1/cases/{case['id']}/events").json()["items"]
        assert events[0]["action"] == "case.opened"


def test_sigterm_during_traffic_leaves_nothing_half_written(server: Server) -> None:
    base, process, database, out = server
    headers = {"Authorization": f"Bearer {demo_key(out)}"}
    with sqlite3.connect(database) as conn:
        line_ids = [str(r[0]) for r in conn.execute("SELECT id FROM lines WHERE status = 'active'")]
    answers: list[int] = []
    started = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for line_id in line_ids:
                try:
                    answers.append(
                        client.post(
                            "/v1/cases", json={"line_id": line_id, "type": "suspend"}
                        ).status_code
                    )
                except httpx.HTTPError:
                    answers.append(-1)
                started.set()

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait(60)
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells why.
    assert process.wait(60) in {0, -signal.SIGTERM}
    log = out.read_text()
    assert "Application shutdown complete" in log
    assert "server.worker_stopped" in log
    for thread in threads:
        thread.join(60)
    assert any(code in {200, 201} for code in answers)
    assert all(code in {200, 201, 404, 409, 422, -1} for code in answers), answers
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT cases.id FROM cases WHERE NOT EXISTS (SELECT 1 FROM audit_events a "
            "WHERE a.subject_type = 'case' AND replace(a.subject_id, '-', '') = cases.id AND a.action = 'case.opened')"
        ).fetchall()
        assert orphans == []
        cases = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        assert cases >= 1
