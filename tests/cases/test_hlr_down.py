"""A peer that is down or hangs: the case waits with retries, then fails visibly; bringing the
peer back and retrying completes it; and the database is never held while the peer is called."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import service as cases
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.osmo_hlr.client import OsmoHlrClient, OsmoHlrOptions
from simexit.integrations.simulated import simulated_gateways
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import Subscriber, TeardownStep
from simexit.policies.loader import PackRegistry
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.gateways import SameForEveryOperator
from tests.fixtures.osmo_hlr import running_osmo_hlr

MSISDN, IMSI = "+4742000001", "901700042000001"


def _run(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="down-test")


def _day(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    return datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)


def _case(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> tuple[World, uuid.UUID]:
    world = build_world(db, packs, msisdn=MSISDN, imsi=IMSI)
    return world, _approved(db, ctx, world, now)


def test_a_down_hlr_fails_the_case_visibly_and_a_retry_after_it_is_back_completes(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime, tmp_path: Path
) -> None:
    with running_osmo_hlr(tmp_path) as hlr:
        hlr.provision(imsi=IMSI, msisdn=MSISDN)
        host = hlr.host
    # osmo-hlr is stopped now; the operator's gateways still point at it.
    client = OsmoHlrClient(OsmoHlrOptions(host=host, timeout_seconds=2.0))
    tasks.install(ctx, SameForEveryOperator(simulated_gateways(network=client)))
    world, case_id = _case(db, ctx, packs, now)
    day = _day(db, case_id, now)
    for hour in range(0, 24 * 3, 2):  # the step's back-off spreads its tries over hours
        _run(db, day + timedelta(hours=hour))
    case, _ = _reload(db, case_id)
    assert case.status == "failed"
    assert case.failure_reason is not None
    assert case.failure_reason.startswith(f"bar_outgoing: osmo-hlr at {host}:4259 unreachable")
    with db.read_session() as session:
        step = session.get(TeardownStep, _step_id(session, case_id, "bar_outgoing"))
        assert step is not None
        assert (step.status, step.attempts) == ("failed", ctx.teardown_max_attempts)

    with running_osmo_hlr(tmp_path, host=host) as hlr:  # back, with its database
        later = day + timedelta(days=3)
        with db.session() as session:
            cases.retry(session, ctx, actor=world.agent, case_id=case_id, now=later)
        _run(db, later + timedelta(minutes=1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        info = hlr.client().subscriber(MSISDN)
        assert info is not None
        assert (info["nam_ps"], info["nam_cs"]) == ("0", "0")


def _step_id(session: Session, case_id: uuid.UUID, name: str) -> uuid.UUID:
    found = session.scalars(
        select(TeardownStep.id).where(TeardownStep.case_id == case_id, TeardownStep.step == name)
    ).first()
    assert found is not None
    return found


class HangingPeer:
    """Accepts a connection and never answers until released: a peer that hangs."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.port = self.server.getsockname()[1]
        self.connected = threading.Event()
        self.release = threading.Event()
        self.closed_by_client = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        self.connected.set()
        connection.settimeout(0.05)
        while not self.release.is_set():
            try:
                if connection.recv(4096) == b"":
                    self.closed_by_client.set()
                    break
            except TimeoutError:
                continue
            except OSError:
                self.closed_by_client.set()
                break
        connection.close()
        self.server.close()


@pytest.fixture
def hanging() -> Iterator[HangingPeer]:
    peer = HangingPeer()
    yield peer
    peer.release.set()
    peer.thread.join(timeout=30)


def test_while_the_peer_hangs_other_writes_commit(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime, hanging: HangingPeer
) -> None:
    client = OsmoHlrClient(
        OsmoHlrOptions(host="127.0.0.1", port=hanging.port, timeout_seconds=20.0)
    )
    tasks.install(ctx, SameForEveryOperator(simulated_gateways(network=client)))
    world, case_id = _case(db, ctx, packs, now)
    worker = threading.Thread(target=_run, args=(db, _day(db, case_id, now)), daemon=True)
    worker.start()
    assert hanging.connected.wait(timeout=60), "the worker never called the peer"
    # The call is under way. A write (an API request, a portal form) commits meanwhile: no
    # transaction of the job is open while it waits (on SQLite it would hold the write lock).
    with db.session() as session:
        session.execute(
            update(Subscriber).where(Subscriber.id == world.subscriber_id).values(language="nb")
        )
    assert not hanging.closed_by_client.is_set()  # the call was still waiting for its answer
    assert worker.is_alive()
    hanging.release.set()
    worker.join(timeout=60)
    with db.read_session() as session:
        assert session.get(Subscriber, world.subscriber_id).language == "nb"  # type: ignore[union-attr]
