"""Executing approved cases through the real job runner, with simulated operator systems."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.audit.sealing import seal_all
from simexit.audit.service import verify_operator
from simexit.cases import flows, tasks
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.ports import Gateways
from simexit.db import Database
from simexit.integrations.simulated import (
    SimulatedBilling,
    SimulatedHss,
    SimulatedSmdp,
    simulated_gateways,
)
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import Case, LedgerEntry, Line, TeardownStep
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from simexit.verification.methods import Method
from tests.cases.conftest import World, build_world
from tests.fixtures.gateways import SameForEveryOperator


@pytest.fixture
def gateways(ctx: CaseContext) -> Gateways:
    installed = simulated_gateways(
        network=SimulatedHss(), esim=SimulatedSmdp(), billing=SimulatedBilling()
    )
    tasks.install(ctx, SameForEveryOperator(installed))
    return installed


def _approved(
    db: Database,
    ctx: CaseContext,
    world: World,
    now: datetime,
    *,
    case_type: RequestType = RequestType.terminate,
    settlement: SettlementChoice | None = None,
    suspend_until: date | None = None,
) -> uuid.UUID:
    """Through a store with an ID check (a channel every pack allows), then an agent's approval."""
    with db.session() as session:
        case = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=case_type,
            channel=Channel.store,
            now=now,
            settlement=settlement,
            suspend_until=suspend_until,
        ).case
    with db.session() as session:
        cases.attest_identity(
            session,
            ctx,
            actor=world.agent,
            case_id=case.id,
            method=Method.id_document,
            now=now,
            document_type="passport",
            document_last4="4321",
        )
    with db.session() as session:
        submitted = cases.submit(session, ctx, actor=world.agent, case_id=case.id, now=now)
        assert submitted.status != "blocked", submitted.blockers
        if submitted.status == "in_review":
            cases.approve(session, ctx, actor=world.agent, case_id=case.id, now=now)
    return case.id


def _run_on(db: Database, day: date, now: datetime) -> int:
    """What a worker does on that day: make sure the scans are scheduled, then run what is due."""
    at = datetime.combine(day, now.timetz()) + timedelta(hours=3)
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    return run_pending(db, now=at, worker_id="test")


def _reload(db: Database, case_id: uuid.UUID) -> tuple[Case, Line]:
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        line = session.get(Line, case.line_id)
        assert line is not None
        return case, line


def test_terminated_on_its_date_with_quarantine_and_balanced_ledger(
    db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
) -> None:
    world = build_world(
        db,
        packs,
        pack_id="no/telenor",
        plan="prepaid",
        balance_minor=12550,
        bonus_balance_minor=2000,
        kind="esim",
        iccid="8947010000000000017",
        eid="89049032000000000000000000000017",
    )
    case_id = _approved(db, ctx, world, now, settlement=SettlementChoice.refund)
    case, line = _reload(db, case_id)
    assert case.status in {"approved", "executing"}
    assert case.effective_date is not None
    assert line.status == "pending_termination"
    # Nothing happens before the date (the scan re-checks the row).
    if case.effective_date > now.date():
        _run_on(db, case.effective_date - timedelta(days=1), now)
        assert _reload(db, case_id)[0].status == "approved"
    _run_on(db, case.effective_date, now)
    _run_on(db, case.effective_date, now)
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "terminated"
    assert line.terminated_on == case.effective_date
    assert line.quarantine_until is not None
    assert case.effective_date is not None
    assert line.quarantine_until > case.effective_date
    assert line.balance_minor == 0
    assert isinstance(gateways.network, SimulatedHss)
    assert line.msisdn in gateways.network.deactivated
    assert isinstance(gateways.esim, SimulatedSmdp)
    assert gateways.esim.profiles[line.iccid or ""] == "unavailable"
    with db.read_session() as session:
        assert flows.ledger_balances(session, case)
        entries = session.scalars(select(LedgerEntry).where(LedgerEntry.case_id == case_id)).all()
        refunded = sum(e.amount_minor for e in entries if e.account == "payout_due")
        assert case.preview is not None
        assert -refunded == case.preview.refund.minor
    seal_all(db)
    with db.read_session() as session:
        report = verify_operator(session, world.operator_id)
        assert report.ok, report.problem
        assert report.events > 0


def test_a_failing_network_step_is_retried_then_fails_then_agent_retry_completes(
    db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
) -> None:
    world = build_world(db, packs, pack_id="no/telenor")
    case_id = _approved(db, ctx, world, now)
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    hss = gateways.network
    assert isinstance(hss, SimulatedHss)
    hss.fail_next = 1000
    day = datetime.combine(case.effective_date, now.timetz())
    for hour in range(0, 24 * 3, 2):  # the job's back-off spreads the attempts over hours
        with db.session() as session:
            ensure_periodic_jobs(session, now=day + timedelta(hours=hour))
        run_pending(db, now=day + timedelta(hours=hour), worker_id="test")
    case, line = _reload(db, case_id)
    assert case.status == "failed"
    assert case.failure_reason
    assert "HSS unavailable" in case.failure_reason
    with db.read_session() as session:
        steps = {
            s.step: s
            for s in session.scalars(select(TeardownStep).where(TeardownStep.case_id == case_id))
        }
    assert steps["bar_outgoing"].attempts == ctx.teardown_max_attempts
    hss.fail_next = 0
    with db.session() as session:
        cases.retry(
            session,
            ctx,
            actor=world.agent,
            case_id=case_id,
            now=day + timedelta(days=3),
            note="HSS back",
        )
    run_pending(db, now=day + timedelta(days=3, minutes=1), worker_id="test")
    case, line = _reload(db, case_id)
    assert case.status == "completed"
    assert line.status == "terminated"
    assert hss.calls.count(("deactivate", line.msisdn)) == 1


def test_suspension_sets_the_voluntary_flag(
    db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
) -> None:
    world = build_world(db, packs, pack_id="no/telenor")
    case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend)
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    _run_on(db, case.effective_date, now)
    _run_on(db, case.effective_date, now)
    case, line = _reload(db, case_id)
    assert case.status == "completed"
    assert line.status == "suspended"
    assert line.suspension_flags == ["voluntary"]
