"""Cases and line changes end in a real osmo-hlr, chosen for the operator by the gateways file:
a terminated line ends disabled and, after quarantine, deleted; a suspended line is barred and
unbarred on resumption; any suspension flag bars the line until the last one is cleared."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.osmo_hlr.client import OsmoHlrClient
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.lines import service as lines
from simexit.lines.states import SuspensionFlag
from simexit.operators.gateways import load_gateway_plan
from simexit.policies.loader import PackRegistry
from simexit.policies.model import RequestType
from simexit.principals import Actor, ActorType, StaffRole
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.osmo_hlr import RunningHlr, running_osmo_hlr


@pytest.fixture(scope="module")
def hlr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHlr]:
    with running_osmo_hlr(tmp_path_factory.mktemp("osmo-hlr")) as running:
        yield running


_numbers = iter(range(4741000000, 4741999999))


def _world(db: Database, packs: PackRegistry, hlr: RunningHlr) -> World:
    n = next(_numbers)
    msisdn, imsi = f"+{n}", f"90170{n:010d}"
    hlr.provision(imsi=imsi, msisdn=msisdn)
    return build_world(db, packs, msisdn=msisdn, imsi=imsi)


@pytest.fixture
def network(ctx: CaseContext, hlr: RunningHlr, tmp_path: Path) -> OsmoHlrClient:
    """Every operator on the osmo-hlr adapter, through the gateways file and the real registry."""
    path = tmp_path / "gateways.toml"
    path.write_text(
        f'[default]\nsandbox = true\nnetwork = {{ adapter = "osmo-hlr", host = "{hlr.host}" }}\n',
        encoding="utf-8",
    )
    directory = GatewayDirectory(load_gateway_plan(path, catalog=REGISTRY.catalog(), environ={}))
    tasks.install(ctx, directory)
    built = directory.for_operator("any-operator").network
    assert isinstance(built, OsmoHlrClient)
    assert built.options.host == hlr.host
    return built


def _run(db: Database, at: datetime) -> None:
    from simexit.jobs.runner import ensure_periodic_jobs, run_pending

    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="hlr-test")


def _on_its_date(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    at = datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)
    _run(db, at)
    return at


def _nam(network: OsmoHlrClient, msisdn: str) -> tuple[str, str] | None:
    info = network.subscriber(msisdn)
    return None if info is None else (info["nam_ps"], info["nam_cs"])


def test_a_terminated_line_ends_disabled_then_deleted_after_quarantine(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hlr: RunningHlr,
    network: OsmoHlrClient,
    now: datetime,
) -> None:
    world = _world(db, packs, hlr)
    case_id = _approved(db, ctx, world, now)
    at = _on_its_date(db, case_id, now)
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert _nam(network, line.msisdn) == ("0", "0")
    assert line.quarantine_until is not None
    _run(db, datetime.combine(line.quarantine_until - timedelta(days=1), at.timetz()))
    assert _nam(network, line.msisdn) == ("0", "0")  # still in quarantine: kept, disabled
    _run(db, datetime.combine(line.quarantine_until, at.timetz()) + timedelta(hours=2))
    _, line = _reload(db, case_id)
    assert line.status == "number_released"
    assert network.subscriber(line.msisdn) is None


def test_a_suspended_line_is_barred_and_unbarred_on_resumption(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hlr: RunningHlr,
    network: OsmoHlrClient,
    now: datetime,
) -> None:
    world = _world(db, packs, hlr)
    case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend)
    at = _on_its_date(db, case_id, now)
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "suspended"
    assert _nam(network, line.msisdn) == ("0", "0")
    resume_id = _approved(db, ctx, world, at, case_type=RequestType.resume)
    _on_its_date(db, resume_id, at)
    case, line = _reload(db, resume_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "active"
    assert _nam(network, line.msisdn) == ("1", "1")


def test_every_suspension_flag_bars_until_the_last_is_cleared(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hlr: RunningHlr,
    network: OsmoHlrClient,
    now: datetime,
) -> None:
    world = _world(db, packs, hlr)
    agent = Actor(ActorType.agent, "agent-1", operator_id=world.operator_id, role=StaffRole.agent)

    def flag(which: SuspensionFlag, active: bool) -> None:
        with db.session() as session:
            lines.set_suspension_flag(
                session, actor=agent, line_id=world.line_id, flag=which, active=active, now=now
            )
        _run(db, now)

    msisdn = _reload_line_msisdn(db, world)
    flag(SuspensionFlag.debt, True)
    assert _nam(network, msisdn) == ("0", "0")
    flag(SuspensionFlag.lost_stolen, True)
    flag(SuspensionFlag.debt, False)
    assert _nam(network, msisdn) == ("0", "0")  # lost/stolen still holds it
    flag(SuspensionFlag.regulatory, True)
    flag(SuspensionFlag.lost_stolen, False)
    assert _nam(network, msisdn) == ("0", "0")
    flag(SuspensionFlag.regulatory, False)
    assert _nam(network, msisdn) == ("1", "1")


def _reload_line_msisdn(db: Database, world: World) -> str:
    from simexit.models import Line

    with db.read_session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        return line.msisdn
