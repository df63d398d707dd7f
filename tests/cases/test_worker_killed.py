"""kill -9 of a real `simexit worker` between an HLR call and its commit, then a new worker:
every step is recorded once, the case completes, and osmo-hlr saw the repeated call as the same
state change (idempotent)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from simexit.audit.service import events_for
from simexit.cases.context import CaseContext
from simexit.cases.service.execution import begin_execution
from simexit.db import Database
from simexit.integrations.osmo_hlr.client import CTRL_PORT
from simexit.models import Case, TeardownStep
from simexit.policies.loader import PackRegistry
from tests.cases.conftest import build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.osmo_hlr import RunningHlr, running_osmo_hlr

pytestmark = pytest.mark.slow

SIMEXIT = Path(sys.executable).parent / "simexit"
MSISDN, IMSI = "+4743000001", "901700043000001"


class Proxy:
    """TCP between the worker and osmo-hlr. While `hold` is set it passes requests on but keeps
    the answers: the HLR has made the change, the worker never hears of it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.hold = threading.Event()
        self.withheld = threading.Event()
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream, timeout=30)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, requests: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if requests:
                    with self._lock:
                        self.requests.append(chunk)
                elif self.hold.is_set():
                    self.withheld.set()
                    continue
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.close()

    def count(self, text: bytes) -> int:
        with self._lock:
            return sum(chunk.count(text) for chunk in self.requests)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def hlr(tmp_path: Path) -> Iterator[RunningHlr]:
    directory = tmp_path / "hlr"
    directory.mkdir()
    with running_osmo_hlr(directory) as running:
        yield running


def _worker(db: Database, tmp_path: Path, gateways: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": db.url,
        "SIMEXIT_ENV": "local",
        "SIMEXIT_GATEWAYS_FILE": str(gateways),
        "SIMEXIT_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [str(SIMEXIT), "worker", "--lease-seconds", "5", "--worker-id", name],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate: object, what: str, bound: float = 120.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + bound
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


def test_a_worker_killed_between_the_hlr_call_and_the_commit(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hlr: RunningHlr,
    tmp_path: Path,
) -> None:
    hlr.provision(imsi=IMSI, msisdn=MSISDN)
    proxy = Proxy((hlr.host, CTRL_PORT))
    gateways = tmp_path / "gateways.toml"
    gateways.write_text(
        "[default]\nsandbox = true\n"
        f'network = {{ adapter = "osmo-hlr", host = "127.0.0.1", port = {proxy.port}, '
        "timeout_seconds = 3.0 }\n",
        encoding="utf-8",
    )
    now = datetime.now(UTC)
    world = build_world(db, packs, msisdn=MSISDN, imsi=IMSI)
    case_id = _approved(db, ctx, world, now)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        if case.status == "approved":  # due today, so a worker on the wall clock runs it
            case.effective_date = now.date()
            begin_execution(session, case, actor=world.agent, now=now)

    proxy.hold.set()
    first = _worker(db, tmp_path, gateways, "first")
    try:
        _wait(proxy.withheld.is_set, "the first worker's call to reach the HLR")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    info = hlr.client().subscriber(MSISDN)
    assert info is not None
    assert info["nam_ps"] == "0"  # the HLR made the change; simexit recorded nothing
    assert _steps(db, case_id) == {}

    proxy.hold.clear()
    second = _worker(db, tmp_path, gateways, "second")
    try:
        _wait(lambda: _reload(db, case_id)[0].status in {"completed", "failed"}, "the case")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "terminated"
    steps = _steps(db, case_id)
    assert set(steps) == {
        "bar_outgoing",
        "hss_deactivate",
        "esim_release",
        "billing_close",
        "settlement",
        "line_terminated",
    }
    assert all(attempts == 1 for attempts in steps.values())  # each recorded once
    info = hlr.client().subscriber(MSISDN)
    assert info is not None
    assert (info["nam_ps"], info["nam_cs"]) == ("0", "0")
    number = MSISDN.removeprefix("+").encode()
    # The bar was sent again after the kill: the same state change, answered OK both times.
    assert proxy.count(b"subscriber.by-msisdn-" + number + b".ps-enabled 0") >= 3
    with db.read_session() as session:
        actions = [e.action for e in events_for(session, subject_type="case", subject_id=case_id)]
    assert actions.count("case.execution_succeeded") == 1
    proxy.close()


def _steps(db: Database, case_id: uuid.UUID) -> dict[str, int]:
    with db.read_session() as session:
        rows = session.scalars(select(TeardownStep).where(TeardownStep.case_id == case_id))
        return {r.step: r.attempts for r in rows if r.status == "done"}
