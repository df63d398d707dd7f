"""Port-outs that settle the line: the completed port runs the `port_out` case's teardown (network,
eSIM, billing, settlement, messages) as jobs, and a `port_out` case never ends a line without one."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import flows, tasks
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.ports import Gateways
from simexit.cases.service import porting
from simexit.cases.service.execution import begin_execution
from simexit.clock import utc_now
from simexit.db import Database
from simexit.errors import InvalidInput
from simexit.integrations.simulated import (
    SimulatedBilling,
    SimulatedHss,
    SimulatedSmdp,
    simulated_gateways,
)
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import (
    AuditEvent,
    Case,
    Job,
    LedgerEntry,
    Line,
    Notification,
    PortOut,
    WebhookDelivery,
    WebhookEndpoint,
)
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType
from simexit.principals import SYSTEM
from simexit.verification.methods import Method
from tests.cases.conftest import World, build_world
from tests.fixtures.gateways import SameForEveryOperator
from tests.notifications.conftest import WEBHOOK_SECRET

ICCID = "8947010000000000025"
TELENOR_PREPAID = {
    "plan": "prepaid",
    "balance_minor": 39900,  # the 399 NOK the issue found left on a released Telenor line
    "kind": "esim",
    "iccid": ICCID,
    "eid": "89049032000000000000000000000025",
}


@pytest.fixture
def gateways(ctx: CaseContext) -> Gateways:
    installed = simulated_gateways(
        network=SimulatedHss(), esim=SimulatedSmdp(), billing=SimulatedBilling()
    )
    tasks.install(ctx, SameForEveryOperator(installed))
    return installed


def _run_on(db: Database, day: date, now: datetime) -> int:
    at = datetime.combine(day, now.timetz()) + timedelta(hours=3)
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    return run_pending(db, now=at, worker_id="test")


def _request_port(db: Database, world: World, now: datetime) -> uuid.UUID:
    with db.session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        port, created = porting.request_port_out(
            session, actor=world.agent, msisdn=line.msisdn, recipient_operator="Ice", now=now
        )
        assert created
        return port.id


def _complete(
    db: Database, ctx: CaseContext, world: World, port_id: uuid.UUID, now: datetime
) -> uuid.UUID:
    """Complete the port; the id of the case that carries it out."""
    with db.session() as session:
        port = porting.complete_port_out(
            session, ctx, actor=world.agent, port_out_id=port_id, now=now
        )
        assert port.case_id is not None
        return port.case_id


def _approved_port_case(db: Database, ctx: CaseContext, world: World, now: datetime) -> uuid.UUID:
    """The subscriber's port-out request through the recipient (the pack's only channel)."""
    with db.session() as session:
        case = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.port_out,
            channel=Channel.port_in_operator,
            now=now,
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


def _actions(db: Database, subject_id: uuid.UUID) -> list[str]:
    with db.read_session() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_id == str(subject_id))
                .order_by(AuditEvent.at, AuditEvent.id)
            )
        )


class TestCompletePortOut:
    def test_a_prepaid_balance_is_refunded_and_the_line_torn_down(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor", **TELENOR_PREPAID)
        port_id = _request_port(db, world, now)
        case_id = _complete(db, ctx, world, port_id, now)

        # One transaction: the port, the line, the case and its audit rows, and the job.
        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            assert case is not None
            assert line is not None
            assert case.type == "port_out"
            assert case.channel == "port_in_operator"
            assert case.status == "executing"
            assert case.effective_date == now.date()
            assert case.preview is not None
            assert case.preview.refund.minor == 39900  # EECC art. 106(6): refunded on a switch
            assert line.status == "number_released"
            assert line.port_pending is False
            assert line.balance_minor == 39900  # settled by the teardown, after the commit
            jobs = session.scalars(select(Job.name).where(Job.name == "cases.execute")).all()
            assert jobs == ["cases.execute"]
        assert {"case.opened", "case.execute"} <= set(_actions(db, case_id))
        assert "line.port_out_completed" in _actions(db, world.line_id)

        _run_on(db, now.date(), now)
        _run_on(db, now.date(), now)

        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            assert case is not None
            assert line is not None
            assert case.status == "completed", case.failure_reason
            assert line.status == "number_released"
            assert line.balance_minor == 0
            assert line.quarantine_until is None
            entries = session.scalars(
                select(LedgerEntry).where(LedgerEntry.case_id == case_id)
            ).all()
            assert flows.ledger_balances(session, case)
            assert sum(e.amount_minor for e in entries if e.account == "payout_due") == -39900
            kinds = set(
                session.scalars(
                    select(Notification.kind).where(Notification.subject_id == str(case_id))
                )
            )
            assert "case.completed" in kinds
        assert isinstance(gateways.network, SimulatedHss)
        assert line.msisdn in gateways.network.deactivated
        assert isinstance(gateways.esim, SimulatedSmdp)
        assert gateways.esim.profiles[ICCID] == "unavailable"
        assert isinstance(gateways.billing, SimulatedBilling)
        assert gateways.billing.closed[str(world.line_id)] == now.date()
        assert "line.ported_out" in _actions(db, world.line_id)

    def test_the_subscribers_approved_request_waits_for_the_port_then_carries_it_out(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor", **TELENOR_PREPAID)
        case_id = _approved_port_case(db, ctx, world, now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status == "approved"
            assert case.effective_date is not None
            planned = case.effective_date
        # Its date comes and goes: no port, so nothing ends.
        _run_on(db, planned, now)
        _run_on(db, planned + timedelta(days=3), now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            assert case is not None
            assert line is not None
            assert case.status == "approved"
            assert line.status == "active"
            assert line.balance_minor == 39900

        port_id = _request_port(db, world, now)
        with db.read_session() as session:
            port = session.get(PortOut, port_id)
            assert port is not None
            assert port.case_id == case_id
        assert _complete(db, ctx, world, port_id, now) == case_id
        _run_on(db, now.date(), now)
        _run_on(db, now.date(), now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            assert case is not None
            assert line is not None
            assert case.status == "completed", case.failure_reason
            assert case.effective_date == now.date()
            assert line.status == "number_released"
            assert line.balance_minor == 0
            assert flows.ledger_balances(session, case)
            open_port_cases = session.scalars(
                select(Case).where(Case.line_id == world.line_id, Case.type == "port_out")
            ).all()
            assert len(open_port_cases) == 1

    def test_other_open_cases_are_closed_and_line_terminated_is_sent(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor", plan="postpaid")
        with db.session() as session:
            session.add(
                WebhookEndpoint(
                    operator_id=world.operator_id,
                    url="http://127.0.0.1:9/hooks/simexit",
                    events=["line.terminated"],
                    secret=WEBHOOK_SECRET,
                    created_at=utc_now(),
                )
            )
            draft = cases.open_case(
                session,
                ctx,
                actor=world.agent,
                line_id=world.line_id,
                case_type=RequestType.suspend,
                channel=Channel.store,
                now=now,
            ).case
        port_id = _request_port(db, world, now)
        case_id = _complete(db, ctx, world, port_id, now)
        with db.read_session() as session:
            closed = session.get(Case, draft.id)
            assert closed is not None
            assert closed.status == "withdrawn"
            hooks = session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.event_type == "line.terminated")
            ).all()
            assert len(hooks) == 1
            assert hooks[0].data["case_id"] == str(case_id)
            assert hooks[0].data["reason"] == "port_out"

    def test_a_debt_that_would_block_a_request_cannot_stop_a_port_that_happened(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        """MTS blocks a port-out request over unpaid bills; once the port is done, the debt is a
        charge of the settlement, and the audit row says which blocker was not applied."""
        world = build_world(db, packs, pack_id="ru/mts", plan="postpaid", unpaid_bills_minor=65000)
        port_id = _request_port(db, world, now)
        case_id = _complete(db, ctx, world, port_id, now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.preview is not None
            assert case.preview.outcome == "approve"
            assert case.preview.blockers == ()
            assert "unpaid_bills" in {c.code for c in case.preview.charges}
            opened = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.subject_id == str(case_id), AuditEvent.action == "case.opened"
                )
            ).one()
            assert "unpaid_bills" in opened.changes["blockers_not_applied"]
        _run_on(db, now.date(), now)
        _run_on(db, now.date(), now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status == "completed", case.failure_reason
            assert flows.ledger_balances(session, case)

    def test_completing_twice_opens_one_case(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor", **TELENOR_PREPAID)
        port_id = _request_port(db, world, now)
        first = _complete(db, ctx, world, port_id, now)
        assert _complete(db, ctx, world, port_id, now + timedelta(minutes=1)) == first
        with db.read_session() as session:
            assert (
                len(session.scalars(select(Case).where(Case.line_id == world.line_id)).all()) == 1
            )

    def test_completed_at_in_the_future_is_refused_naming_the_field(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor")
        port_id = _request_port(db, world, now)
        with db.session() as session, pytest.raises(InvalidInput) as refused:
            porting.complete_port_out(
                session,
                ctx,
                actor=world.agent,
                port_out_id=port_id,
                now=now,
                completed_at=now + timedelta(days=1),
            )
        assert refused.value.field == "completed_at"
        assert "future" in str(refused.value)

    def test_completed_at_before_the_request_is_refused_naming_the_field(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor")
        port_id = _request_port(db, world, now)
        with db.session() as session, pytest.raises(InvalidInput) as refused:
            porting.complete_port_out(
                session,
                ctx,
                actor=world.agent,
                port_out_id=port_id,
                now=now,
                completed_at=now - timedelta(days=1),
            )
        assert refused.value.field == "completed_at"


class TestPortOutCaseWithoutPort:
    def test_it_never_ends_the_line(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        """Even started by hand (or by an older scheduler), its teardown refuses to run."""
        world = build_world(db, packs, pack_id="no/telenor", **TELENOR_PREPAID)
        case_id = _approved_port_case(db, ctx, world, now)
        with db.session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            begin_execution(session, case, actor=SYSTEM, now=now)
        _run_on(db, now.date(), now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            assert case is not None
            assert line is not None
            assert case.status == "failed"
            assert (case.failure_reason or "").startswith("port_not_completed")
            assert line.status == "active"
            assert line.balance_minor == 39900
        assert isinstance(gateways.network, SimulatedHss)
        assert not gateways.network.deactivated

    def test_a_failed_one_is_carried_on_by_the_completed_port(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
    ) -> None:
        world = build_world(db, packs, pack_id="no/telenor", **TELENOR_PREPAID)
        case_id = _approved_port_case(db, ctx, world, now)
        with db.session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            begin_execution(session, case, actor=SYSTEM, now=now)
        _run_on(db, now.date(), now)
        port_id = _request_port(db, world, now)
        assert _complete(db, ctx, world, port_id, now) == case_id
        _run_on(db, now.date(), now)
        _run_on(db, now.date(), now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            assert case is not None
            assert line is not None
            assert case.status == "completed", case.failure_reason
            assert line.balance_minor == 0
