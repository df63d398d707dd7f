from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest

import simexit.notifications.tasks
import simexit.refunds.tasks  # noqa: F401 - registers the payout jobs
from simexit.cases import service as cases
from simexit.cases import tasks as case_tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.simulated import SimulatedPayments, simulated_gateways
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import Case
from simexit.policies.loader import PackRegistry, load_registry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from simexit.refunds import tasks as refund_tasks
from simexit.verification.methods import Method
from tests.cases.conftest import World
from tests.fixtures.gateways import SameForEveryOperator


@pytest.fixture(scope="session")
def packs() -> PackRegistry:
    return load_registry()


@pytest.fixture
def ctx(packs: PackRegistry) -> CaseContext:
    return CaseContext(packs=packs, secret_key=b"k" * 32)


@pytest.fixture
def payments(ctx: CaseContext) -> SimulatedPayments:
    provider = SimulatedPayments()
    gateways = simulated_gateways(payments=provider)
    case_tasks.install(ctx, SameForEveryOperator(gateways))
    refund_tasks.install(ctx, lambda _code: provider)
    return provider


def run_on(db: Database, day: date, now: datetime) -> int:
    at = datetime.combine(day, now.timetz()) + timedelta(hours=3)
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    return run_pending(db, now=at, worker_id="test")


def settled_with_refund(db: Database, ctx: CaseContext, world: World, now: datetime) -> Case:
    """A termination with a refund, taken through a store's ID check, approval and execution."""
    with db.session() as session:
        case = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
            now=now,
            settlement=SettlementChoice.refund,
        ).case
        case_id = case.id
    with db.session() as session:
        cases.attest_identity(
            session,
            ctx,
            actor=world.agent,
            case_id=case_id,
            method=Method.id_document,
            now=now,
            document_type="passport",
            document_last4="4321",
        )
    with db.session() as session:
        submitted = cases.submit(session, ctx, actor=world.agent, case_id=case_id, now=now)
        if submitted.status == "in_review":
            cases.approve(session, ctx, actor=world.agent, case_id=case_id, now=now)
    return complete(db, case_id, now)


def complete(db: Database, case_id: uuid.UUID, now: datetime) -> Case:
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        effective = case.effective_date
    assert effective is not None
    run_on(db, effective, now)
    run_on(db, effective, now)
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "completed", (case.status, case.failure_reason)
        session.expunge(case)
        return case
