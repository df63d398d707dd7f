"""The osmo-hlr teardown cases against a pyHSS-shaped HSS (the fake, a separate process), chosen
for the operator by the gateways file: a terminated line ends disabled and, after quarantine,
deleted (PATCH `enabled: false` before the DELETE); a suspended line is disabled and enabled on
resumption; any suspension flag keeps it disabled until the last one is cleared."""

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
from simexit.integrations.pyhss.client import PyHssClient
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.lines import service as lines
from simexit.lines.states import SuspensionFlag
from simexit.operators.gateways import load_gateway_plan
from simexit.policies.loader import PackRegistry
from simexit.policies.model import RequestType
from simexit.principals import Actor, ActorType, StaffRole
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.pyhss import KEY, RunningPyHss, running_pyhss


@pytest.fixture(scope="module")
def hss(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPyHss]:
    with running_pyhss(tmp_path_factory.mktemp("pyhss")) as running:
        yield running


_numbers = iter(range(4743000000, 4743999999))


def _world(db: Database, packs: PackRegistry, hss: RunningPyHss) -> World:
    n = next(_numbers)
    msisdn, imsi = f"+{n}", f"90170{n:010d}"
    hss.provision(imsi=imsi, msisdn=msisdn)
    return build_world(db, packs, msisdn=msisdn, imsi=imsi)


@pytest.fixture
def network(
    ctx: CaseContext, hss: RunningPyHss, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> PyHssClient:
    """Every operator on the pyHSS adapter, through the gateways file and the real registry."""
    path = tmp_path / "gateways.toml"
    path.write_text(
        "[default]\nsandbox = true\n"
        f'network = {{ adapter = "pyhss", base_url = "{hss.base_url}", '
        'provisioning_key_env = "TEST_PYHSS_KEY" }\n',
        encoding="utf-8",
    )
    plan = load_gateway_plan(path, catalog=REGISTRY.catalog(), environ={"TEST_PYHSS_KEY": KEY})
    directory = GatewayDirectory(plan)
    tasks.install(ctx, directory)
    built = directory.for_operator("any-operator").network
    assert isinstance(built, PyHssClient)
    return built


def _run(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="pyhss-test")


def _on_its_date(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    at = datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)
    _run(db, at)
    return at


def _enabled(network: PyHssClient, msisdn: str) -> bool | None:
    found = network.subscriber(msisdn)
    return None if found is None else bool(found["enabled"])


def test_a_terminated_line_ends_disabled_then_deleted_after_quarantine(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hss: RunningPyHss,
    network: PyHssClient,
    now: datetime,
) -> None:
    world = _world(db, packs, hss)
    case_id = _approved(db, ctx, world, now)
    at = _on_its_date(db, case_id, now)
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert _enabled(network, line.msisdn) is False
    assert line.quarantine_until is not None
    subscriber = network.subscriber(line.msisdn)
    assert subscriber is not None
    path = f"/subscriber/{subscriber['subscriber_id']}"
    _run(db, datetime.combine(line.quarantine_until - timedelta(days=1), at.timetz()))
    assert _enabled(network, line.msisdn) is False  # still in quarantine: kept, disabled
    _run(db, datetime.combine(line.quarantine_until, at.timetz()) + timedelta(hours=2))
    _, line = _reload(db, case_id)
    assert line.status == "number_released"
    assert network.subscriber(line.msisdn) is None
    writes = [(c["method"], c.get("body")) for c in hss.calls() if c["path"] == path]
    assert writes[0] == ("PATCH", {"enabled": False})
    assert writes[-1] == ("DELETE", None)
    assert ("PATCH", {"enabled": True}) not in writes


def test_a_suspended_line_is_disabled_and_enabled_on_resumption(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hss: RunningPyHss,
    network: PyHssClient,
    now: datetime,
) -> None:
    world = _world(db, packs, hss)
    case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend)
    at = _on_its_date(db, case_id, now)
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "suspended"
    assert _enabled(network, line.msisdn) is False
    resume_id = _approved(db, ctx, world, at, case_type=RequestType.resume)
    _on_its_date(db, resume_id, at)
    case, line = _reload(db, resume_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "active"
    assert _enabled(network, line.msisdn) is True


def test_every_suspension_flag_disables_until_the_last_is_cleared(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    hss: RunningPyHss,
    network: PyHssClient,
    now: datetime,
) -> None:
    world = _world(db, packs, hss)
    agent = Actor(ActorType.agent, "agent-1", operator_id=world.operator_id, role=StaffRole.agent)

    def flag(which: SuspensionFlag, active: bool) -> None:
        with db.session() as session:
            lines.set_suspension_flag(
                session, actor=agent, line_id=world.line_id, flag=which, active=active, now=now
            )
        _run(db, now)

    _, line = _line_of(db, world)
    flag(SuspensionFlag.debt, True)
    assert _enabled(network, line) is False
    flag(SuspensionFlag.lost_stolen, True)
    flag(SuspensionFlag.debt, False)
    assert _enabled(network, line) is False  # lost/stolen still holds it
    flag(SuspensionFlag.lost_stolen, False)
    assert _enabled(network, line) is True


def _line_of(db: Database, world: World) -> tuple[uuid.UUID, str]:
    from simexit.models import Line

    with db.read_session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        return line.id, line.msisdn
