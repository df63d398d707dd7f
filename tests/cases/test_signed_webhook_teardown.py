"""Teardown cases with the network and billing ports both on the signed provisioning webhook
adapter, chosen by the gateways file, against the fake receiver (a separate process that checks
every Standard Webhooks signature itself): a termination is three signed calls, each with its
step's call id as `webhook-id`, each counted done on the receiver's 2xx; a receiver that
refuses (4xx) fails the case at that step with its answer, and an agent's retry resumes there;
one that answers 503 is tried again until it acknowledges; a worker killed after the
receiver acknowledged repeats the call under the same `webhook-id`, which the receiver does
once."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import service as cases
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.cases.ports import Gateways, GatewaysByOperator
from simexit.db import Database
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.integrations.signed_webhook.client import SignedWebhook
from simexit.jobs.runner import DEFAULT_LEASE_SECONDS, ensure_periodic_jobs, run_pending
from simexit.models import TeardownStep
from simexit.operators.gateways import load_gateway_plan
from simexit.policies.loader import PackRegistry
from simexit.policies.model import RequestType
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.cases.test_teardown import WorkerKilled
from tests.fixtures.signed_webhook import SECRET, RunningReceiver, running_receiver


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningReceiver]:
    with running_receiver(tmp_path_factory.mktemp("receiver")) as running:
        yield running


@pytest.fixture
def hooks(ctx: CaseContext, receiver: RunningReceiver, tmp_path: Path) -> None:
    """Every operator's network and billing ports on the adapter, through the gateways file."""
    path = _gateways_file(tmp_path / "gateways.toml", receiver)
    plan = load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=ENV)
    directory = GatewayDirectory(plan)
    tasks.install(ctx, directory)
    built = directory.for_operator("any-operator")
    assert isinstance(built.network, SignedWebhook)
    assert isinstance(built.billing, SignedWebhook)


_numbers = iter(range(4745000000, 4745999999))


def _world(db: Database, packs: PackRegistry) -> tuple[World, str]:
    n = next(_numbers)
    msisdn = f"+{n}"
    return build_world(db, packs, msisdn=msisdn, imsi=f"90170{n:010d}"), msisdn


def _gateways_file(path: Path, receiver: RunningReceiver) -> Path:
    hook = (
        f'{{ adapter = "signed-webhook", url = "{receiver.url}", secret_env = "TEST_HOOK_SECRET" }}'
    )
    path.write_text(
        f"[default]\nsandbox = true\nnetwork = {hook}\nbilling = {hook}\n", encoding="utf-8"
    )
    return path


ENV = {"TEST_HOOK_SECRET": SECRET}


def _run(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="signed-webhook-test")


def _day(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    return datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)


def _step(db: Database, case_id: uuid.UUID, name: str) -> TeardownStep:
    with db.read_session() as session:
        found = session.scalars(
            select(TeardownStep).where(TeardownStep.case_id == case_id, TeardownStep.step == name)
        ).one()
        session.expunge(found)
        return found


def _for_case(receiver: RunningReceiver, case_id: uuid.UUID) -> list[dict[str, Any]]:
    return [a for a in receiver.applied() if a["id"].startswith(f"simexit-{case_id}-")]


class TestTermination:
    def test_each_remote_step_is_one_signed_call_acknowledged_once(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        receiver: RunningReceiver,
        hooks: None,
        now: datetime,
    ) -> None:
        world, msisdn = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        _run(db, _day(db, case_id, now))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        applied = _for_case(receiver, case_id)
        assert [(a["type"], a["id"]) for a in applied] == [
            ("network.bar_outgoing", f"simexit-{case_id}-bar_outgoing"),
            ("network.deactivate", f"simexit-{case_id}-hss_deactivate"),
            ("billing.close_account", f"simexit-{case_id}-billing_close"),
        ]
        assert applied[0]["data"] == {"msisdn": msisdn, "imsi": line.imsi}
        assert applied[2]["data"]["line_ref"] == str(world.line_id)
        assert applied[2]["data"]["billing_end"] is not None
        # Every call the receiver saw passed its own signature check.
        seen = [c for c in receiver.calls() if (c["id"] or "").startswith(f"simexit-{case_id}-")]
        assert {c["status"] for c in seen} == {200}
        assert _step(db, case_id, "billing_close").outcome == "closed"

    def test_a_refusal_fails_the_case_at_its_step_and_a_retry_resumes_there(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        receiver: RunningReceiver,
        hooks: None,
        now: datetime,
    ) -> None:
        world, _ = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        receiver.answer("billing.close_account", 409)
        try:
            day = _day(db, case_id, now)
            _run(db, day)
        finally:
            receiver.answer("billing.close_account", None)
        case, line = _reload(db, case_id)
        assert case.status == "failed"
        assert case.failure_reason is not None
        assert case.failure_reason.startswith("billing_close: webhook billing.close_account")
        assert "HTTP 409" in case.failure_reason
        assert _step(db, case_id, "billing_close").attempts == 1  # permanent: not tried again
        assert line.status != "terminated"

        later = day + timedelta(hours=1)
        with db.session() as session:
            cases.retry(session, ctx, actor=world.agent, case_id=case_id, now=later)
        _run(db, later + timedelta(minutes=1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        assert [a["type"] for a in _for_case(receiver, case_id)] == [
            "network.bar_outgoing",
            "network.deactivate",
            "billing.close_account",
        ]

    def test_a_503_is_tried_again_until_the_receiver_acknowledges(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        receiver: RunningReceiver,
        hooks: None,
        now: datetime,
    ) -> None:
        world, _ = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        day = _day(db, case_id, now)
        receiver.answer("network.deactivate", 503)
        try:
            _run(db, day)
        finally:
            receiver.answer("network.deactivate", None)
        case, _ = _reload(db, case_id)
        assert case.status != "failed", case.failure_reason
        step = _step(db, case_id, "hss_deactivate")
        assert step.status != "done"
        assert step.detail is not None
        assert "HTTP 503" in step.detail
        for hour in range(1, 24 * 3, 2):  # the step's back-off spreads its tries over hours
            _run(db, day + timedelta(hours=hour))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        assert [a["type"] for a in _for_case(receiver, case_id)] == [
            "network.bar_outgoing",
            "network.deactivate",
            "billing.close_account",
        ]


class TestSuspension:
    def test_a_suspension_and_its_resumption_are_signed_network_calls(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        receiver: RunningReceiver,
        hooks: None,
        now: datetime,
    ) -> None:
        world, _ = _world(db, packs)
        case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend)
        at = _day(db, case_id, now)
        _run(db, at)
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "suspended"
        resume_id = _approved(db, ctx, world, at, case_type=RequestType.resume)
        _run(db, _day(db, resume_id, at))
        case, line = _reload(db, resume_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "active"
        assert [a["type"] for a in _for_case(receiver, case_id)] == ["network.bar_outgoing"]
        assert [a["type"] for a in _for_case(receiver, resume_id)] == ["network.reactivate"]


@dataclass
class KilledAfterTheClose:
    """The operator's billing port, in a worker killed once right after the receiver
    acknowledged the billing close and before the step's record was committed."""

    inner: SignedWebhook
    killed: bool = False

    def close_account(
        self, *, line_ref: str, billing_end: date | None, call_id: str | None = None
    ) -> None:
        self.inner.close_account(line_ref=line_ref, billing_end=billing_end, call_id=call_id)
        if not self.killed:
            self.killed = True
            raise WorkerKilled


@dataclass
class Dying:
    directory: GatewaysByOperator
    billing: KilledAfterTheClose | None = None

    def for_operator(self, operator_code: str) -> Gateways:
        built = self.directory.for_operator(operator_code)
        if self.billing is None:
            assert isinstance(built.billing, SignedWebhook)
            self.billing = KilledAfterTheClose(built.billing)
        return dataclasses.replace(built, billing=self.billing)


class TestAWorkerKilledBetweenTheCallAndItsRecord:
    def test_the_repeat_has_the_same_webhook_id_and_the_receiver_does_it_once(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        receiver: RunningReceiver,
        tmp_path: Path,
        now: datetime,
    ) -> None:
        path = _gateways_file(tmp_path / "gateways.toml", receiver)
        plan = load_gateway_plan(path, catalog=REGISTRY.catalog(), environ=ENV)
        tasks.install(ctx, Dying(GatewayDirectory(plan)))
        world, _ = _world(db, packs)
        case_id = _approved(db, ctx, world, now)
        day = _day(db, case_id, now)
        with pytest.raises(WorkerKilled):
            _run(db, day)
        with db.read_session() as session:
            recorded = session.scalars(
                select(TeardownStep.step).where(
                    TeardownStep.case_id == case_id, TeardownStep.status == "done"
                )
            ).all()
        assert "billing_close" not in recorded  # the receiver acknowledged; simexit has no record
        # The lease runs out; another worker claims the job again and repeats the call.
        _run(db, day + timedelta(seconds=DEFAULT_LEASE_SECONDS + 1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "terminated"
        call_id = f"simexit-{case_id}-billing_close"
        closes = [c for c in receiver.calls() if c["id"] == call_id]
        assert [(c["status"], c["repeat"]) for c in closes] == [(200, False), (200, True)]
        assert [a["type"] for a in _for_case(receiver, case_id)] == [
            "network.bar_outgoing",
            "network.deactivate",
            "billing.close_account",
        ]
        assert _step(db, case_id, "billing_close").attempts == 1
