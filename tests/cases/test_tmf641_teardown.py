"""Teardown cases through an OSS that takes TMF641 service orders (the fake, a separate process
that checks every order against the specification), chosen as the operator's network port by
the gateways file: a terminated line's service gets a `modify` to `inactive` (the bar) then a
`delete`, each with the step's call id as `externalId`; a suspension and its resumption are
`modify` orders; an order the OSS fails fails its step with the OSS's reason, and an agent's
retry resumes from that step; a bad option in the gateways file is refused by its name."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import service as cases
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.cases.ports import Gateways, GatewaysByOperator
from simexit.db import Database
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.integrations.tmf641.network import Tmf641Network
from simexit.jobs.runner import DEFAULT_LEASE_SECONDS, ensure_periodic_jobs, run_pending
from simexit.models import TeardownStep
from simexit.operators.gateways import GatewayConfigError, load_gateway_plan
from simexit.policies.loader import PackRegistry
from simexit.policies.model import RequestType
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.cases.test_teardown import WorkerKilled
from tests.fixtures.tmf641 import TOKEN, RunningOss, running_oss

ENV = {"TEST_OSS_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def oss(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOss]:
    with running_oss(tmp_path_factory.mktemp("oss")) as running:
        yield running


QUICK = "completion_wait_seconds = 5.0, poll_interval_seconds = 0.05"


def _gateways_file(path: Path, oss: RunningOss, options: str = QUICK) -> Path:
    path.write_text(
        "[default]\nsandbox = true\n"
        f'network = {{ adapter = "tmf641", base_url = "{oss.base_url}", '
        f'token_env = "TEST_OSS_TOKEN", timeout_seconds = 3.0, {options} }}\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def network(ctx: CaseContext, oss: RunningOss, tmp_path: Path) -> Tmf641Network:
    """Every operator's network port on the TMF641 adapter, through the gateways file."""
    path = _gateways_file(tmp_path / "gateways.toml", oss)
    directory = GatewayDirectory(load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=ENV))
    tasks.install(ctx, directory)
    built = directory.for_operator("any-operator").network
    assert isinstance(built, Tmf641Network)
    return built


_numbers = iter(range(4744000000, 4744999999))


def _world(db: Database, packs: PackRegistry) -> tuple[World, str]:
    n = next(_numbers)
    msisdn = f"+{n}"
    return build_world(db, packs, msisdn=msisdn, imsi=f"90170{n:010d}"), msisdn


def _run(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="tmf641-test")


def _on_its_date(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    at = datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)
    _run(db, at)
    return at


def _step(db: Database, case_id: uuid.UUID, name: str) -> TeardownStep:
    with db.read_session() as session:
        found = session.scalars(
            select(TeardownStep).where(TeardownStep.case_id == case_id, TeardownStep.step == name)
        ).one()
        session.expunge(found)
        return found


def _item(order: dict[str, object]) -> tuple[object, object]:
    items = order["serviceOrderItem"]
    assert isinstance(items, list)
    return items[0]["action"], items[0]["service"].get("state")


class TestTermination:
    def test_the_lines_service_is_barred_then_deleted_once_per_step(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        oss: RunningOss,
        network: Tmf641Network,
        now: datetime,
    ) -> None:
        world, msisdn = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        _on_its_date(db, case_id, now)
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        orders = oss.orders_posted(msisdn)
        assert [_item(o) for o in orders] == [("modify", "inactive"), ("delete", None)]
        assert [o["externalId"] for o in orders] == [
            f"simexit-{case_id}-bar_outgoing",
            f"simexit-{case_id}-hss_deactivate",
        ]
        assert all(o["serviceOrderItem"][0]["service"]["id"] == msisdn for o in orders)
        # Each order was read to its end before its step was recorded.
        ids = {c["path"].rsplit("/", 1)[-1] for c in oss.calls() if c["method"] == "GET"}
        assert {o["id"] for o in orders if "id" in o} <= ids
        assert _step(db, case_id, "hss_deactivate").outcome == "deactivated"

    def test_a_failed_order_fails_the_step_with_the_oss_reason_and_a_retry_resumes(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        oss: RunningOss,
        network: Tmf641Network,
        now: datetime,
    ) -> None:
        world, msisdn = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        oss.fail(msisdn, "delete", "service has an open trouble ticket")
        try:
            at = _on_its_date(db, case_id, now)
        finally:
            oss.fail(msisdn, "delete", None)
        case, line = _reload(db, case_id)
        assert case.status == "failed"
        assert case.failure_reason is not None
        assert case.failure_reason.startswith("hss_deactivate: TMF641 order SO-")
        assert case.failure_reason.endswith("failed: service has an open trouble ticket")
        step = _step(db, case_id, "hss_deactivate")
        assert step.status == "failed"
        assert step.detail is not None
        assert "service has an open trouble ticket" in step.detail
        assert _step(db, case_id, "bar_outgoing").status == "done"
        assert line.status != "terminated"

        later = at + timedelta(hours=1)
        with db.session() as session:
            cases.retry(session, ctx, actor=world.agent, case_id=case_id, now=later)
        _run(db, later + timedelta(minutes=1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        orders = oss.orders_posted(msisdn)
        # The bar was not ordered again; the failed delete was followed by one new delete.
        assert [_item(o) for o in orders] == [
            ("modify", "inactive"),
            ("delete", None),
            ("delete", None),
        ]
        assert orders[1]["externalId"] == orders[2]["externalId"]


@dataclass
class KilledAfterTheDelete:
    """The operator's TMF641 network port, in a worker killed once right after the OSS took the
    termination's delete order and before the step's record was committed."""

    inner: Tmf641Network
    killed: bool = False

    def bar_outgoing(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.inner.bar_outgoing(imsi=imsi, msisdn=msisdn, call_id=call_id)

    def deactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.inner.deactivate(imsi=imsi, msisdn=msisdn, call_id=call_id)
        if not self.killed:
            self.killed = True
            raise WorkerKilled

    def reactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.inner.reactivate(imsi=imsi, msisdn=msisdn, call_id=call_id)

    def remove(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.inner.remove(imsi=imsi, msisdn=msisdn, call_id=call_id)


@dataclass
class Dying:
    directory: GatewaysByOperator
    network: KilledAfterTheDelete | None = None

    def for_operator(self, operator_code: str) -> Gateways:
        built = self.directory.for_operator(operator_code)
        if self.network is None:
            assert isinstance(built.network, Tmf641Network)
            self.network = KilledAfterTheDelete(built.network)
        return dataclasses.replace(built, network=self.network)


class TestAWorkerKilledBetweenTheOrderAndItsRecord:
    def test_the_next_run_finds_the_order_and_orders_nothing_twice(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        oss: RunningOss,
        tmp_path: Path,
        now: datetime,
    ) -> None:
        path = _gateways_file(tmp_path / "gateways.toml", oss)
        plan = load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=ENV)
        tasks.install(ctx, Dying(GatewayDirectory(plan)))
        world, msisdn = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        case, _ = _reload(db, case_id)
        assert case.effective_date is not None
        day = datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)
        with pytest.raises(WorkerKilled):
            _run(db, day)
        with db.read_session() as session:
            recorded = session.scalars(
                select(TeardownStep.step).where(
                    TeardownStep.case_id == case_id, TeardownStep.status == "done"
                )
            ).all()
        assert "hss_deactivate" not in recorded  # the OSS took the order; simexit has no record
        # The lease runs out; another worker claims the job again and repeats the call.
        _run(db, day + timedelta(seconds=DEFAULT_LEASE_SECONDS + 1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        orders = oss.orders_posted(msisdn)
        assert [_item(o) for o in orders] == [("modify", "inactive"), ("delete", None)]
        assert _step(db, case_id, "hss_deactivate").attempts == 1


class TestSuspension:
    def test_a_suspension_and_its_resumption_are_modify_orders(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        oss: RunningOss,
        network: Tmf641Network,
        now: datetime,
    ) -> None:
        world, msisdn = _world(db, packs)
        case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend)
        at = _on_its_date(db, case_id, now)
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "suspended"
        resume_id = _approved(db, ctx, world, at, case_type=RequestType.resume)
        _on_its_date(db, resume_id, at)
        case, line = _reload(db, resume_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "active"
        orders = oss.orders_posted(msisdn)
        assert [_item(o) for o in orders] == [("modify", "inactive"), ("modify", "active")]
        assert orders[1]["externalId"] == f"simexit-{resume_id}-line_resumed"


class TestGatewaysFile:
    @pytest.mark.parametrize(
        ("options", "option"),
        [
            ('service_id = "iccid"', "service_id"),
            ("completion_wait_seconds = 600.0", "completion_wait_seconds"),
            ('poll_interval_seconds = "fast"', "poll_interval_seconds"),
            ("priority = 1", "priority"),
        ],
    )
    def test_a_bad_option_is_refused_by_its_name(
        self, oss: RunningOss, tmp_path: Path, options: str, option: str
    ) -> None:
        path = _gateways_file(tmp_path / "gateways.toml", oss, options)
        with pytest.raises(GatewayConfigError) as refused:
            load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=ENV)
        message = str(refused.value)
        assert "port network" in message
        assert option in message

    def test_a_missing_token_variable_is_refused_by_its_name(
        self, oss: RunningOss, tmp_path: Path
    ) -> None:
        path = _gateways_file(tmp_path / "gateways.toml", oss)
        with pytest.raises(GatewayConfigError, match="TEST_OSS_TOKEN"):
            load_gateway_plan(path, catalog=REGISTRY.catalog(), environ={})
