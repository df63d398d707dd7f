"""Each case runs through the gateways of its own operator, chosen by the gateways file: two
operators, two adapter instances, each case's teardown reaching only its operator's."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.registry import GatewayDirectory
from simexit.integrations.simulated import SimulatedHss
from simexit.models import Operator
from simexit.operators.gateways import GatewayPlan, default_plan, load_gateway_plan
from simexit.operators.repository import operator_codes
from simexit.policies.loader import PackRegistry
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload, _run_on
from tests.fixtures.gateways import LabHlr, lab_registry


def _code(db: Database, operator_id: uuid.UUID) -> str:
    with db.read_session() as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        return operator.code


def _terminate_both(
    db: Database, ctx: CaseContext, now: datetime, worlds: tuple[World, World]
) -> None:
    case_ids = [_approved(db, ctx, world, now) for world in worlds]
    for case_id in case_ids:
        case, _ = _reload(db, case_id)
        assert case.effective_date is not None
        _run_on(db, case.effective_date, now)
        _run_on(db, case.effective_date, now)
    for case_id in case_ids:
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"


def _two_operators(db: Database, packs: PackRegistry) -> tuple[World, World]:
    return (
        build_world(db, packs, msisdn="+4740000001"),
        build_world(db, packs, msisdn="+4740000002"),
    )


def test_each_case_reaches_the_adapter_its_operator_is_configured_with(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime, tmp_path: Path
) -> None:
    first, second = _two_operators(db, packs)
    first_code, second_code = _code(db, first.operator_id), _code(db, second.operator_id)
    path = tmp_path / "gateways.toml"
    path.write_text(
        f"[operators.{second_code}]\n"
        'network = { adapter = "lab-hlr", host = "hlr.second.example", '
        'password_env = "SECOND_HSS_PASSWORD" }\n',
        encoding="utf-8",
    )
    registry = lab_registry()
    plan = load_gateway_plan(
        path, catalog=registry.catalog(), environ={"SECOND_HSS_PASSWORD": "pw"}
    )
    with db.read_session() as session:
        plan.check_operators(operator_codes(session))
    directory = GatewayDirectory(plan, registry=registry)
    tasks.install(ctx, directory)

    _terminate_both(db, ctx, now, (first, second))

    first_network = directory.for_operator(first_code).network
    second_network = directory.for_operator(second_code).network
    assert type(first_network) is SimulatedHss
    assert isinstance(second_network, LabHlr)
    assert second_network.options is not None
    assert second_network.options.host == "hlr.second.example"
    assert first_network.deactivated == {"+4740000001"}
    assert second_network.deactivated == {"+4740000002"}
    assert [msisdn for _, msisdn in second_network.calls] == ["+4740000002"] * 2


def test_without_a_file_each_operator_still_has_simulated_systems_of_its_own(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    first, second = _two_operators(db, packs)
    plan: GatewayPlan = default_plan()
    directory = GatewayDirectory(plan)
    tasks.install(ctx, directory)

    _terminate_both(db, ctx, now, (first, second))

    first_network = directory.for_operator(_code(db, first.operator_id)).network
    second_network = directory.for_operator(_code(db, second.operator_id)).network
    assert isinstance(first_network, SimulatedHss)
    assert isinstance(second_network, SimulatedHss)
    assert first_network is not second_network
    assert first_network.deactivated == {"+4740000001"}
    assert second_network.deactivated == {"+4740000002"}
