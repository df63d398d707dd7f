"""Teardown as exchanges: one remote call per job run, none inside a write transaction, each
step recorded once with its outcome, retries per step, and an agent's retry resuming there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import flows, tasks
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.ports import GatewayError, Gateways
from simexit.cases.service.execution import begin_execution
from simexit.cases.teardown import STEPS, Outcome, StepRecord, flags_after, next_step, progress
from simexit.db import Database
from simexit.integrations.simulated import SimulatedHss, SimulatedSmdp, simulated_gateways
from simexit.jobs.runner import DEFAULT_LEASE_SECONDS, ensure_periodic_jobs, run_pending
from simexit.models import Case, Line, TeardownStep
from simexit.policies.loader import PackRegistry
from simexit.policies.model import RequestType
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.gateways import SameForEveryOperator

# --- pure -------------------------------------------------------------------------------------


def test_every_case_type_starts_with_a_remote_step_and_names_are_unique() -> None:
    for steps in STEPS.values():
        names = [s.name for s in steps]
        assert len(names) == len(set(names))
        assert all((s.remote is None) == (s.operation is None) for s in steps)


def test_next_step_is_the_first_not_done() -> None:
    assert next_step("terminate", set()) is STEPS["terminate"][0]
    assert next_step("terminate", {"bar_outgoing"}) is STEPS["terminate"][1]
    assert next_step("suspend", {s.name for s in STEPS["suspend"]}) is None


@pytest.mark.parametrize(
    ("case_type", "flags", "after"),
    [
        ("suspend", set(), {"voluntary"}),
        ("suspend", {"debt"}, {"debt", "voluntary"}),
        ("resume", {"voluntary"}, set()),
        ("resume", {"voluntary", "lost_stolen"}, {"lost_stolen"}),
        ("terminate", {"debt"}, {"debt"}),
    ],
)
def test_flags_after(case_type: str, flags: set[str], after: set[str]) -> None:
    assert flags_after(case_type, flags) == after


def test_progress_lists_every_step_in_order_with_its_record() -> None:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    records = {
        "bar_outgoing": StepRecord("bar_outgoing", "done", 1, "barred", None, at),
        "hss_deactivate": StepRecord("hss_deactivate", "failed", 3, None, "HLR down", at),
    }
    states = progress("terminate", records)
    assert [s.name for s in states] == [s.name for s in STEPS["terminate"]]
    assert (states[0].state, states[0].outcome, states[0].error) == ("done", "barred", None)
    assert (states[1].state, states[1].attempts, states[1].error) == ("failed", 3, "HLR down")
    assert all(s.state == "pending" and s.attempts == 0 for s in states[2:])


# --- through the job runner -------------------------------------------------------------------


class WorkerKilled(BaseException):
    """Not an Exception: the runner does not catch it, as it cannot catch a kill -9."""


@dataclass
class WatchingHss(SimulatedHss):
    """Records, at each call, which steps of the case another session sees committed as done:
    the steps before this one must be, this one must not (no transaction spans the call)."""

    db: Database | None = None
    case_id: uuid.UUID | None = None
    seen: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    die_after: str | None = None

    def _look(self, operation: str) -> None:
        assert self.db is not None
        assert self.case_id is not None
        with self.db.read_session() as session:
            done = session.scalars(
                select(TeardownStep.step).where(
                    TeardownStep.case_id == self.case_id, TeardownStep.status == "done"
                )
            ).all()
        self.seen.append((operation, frozenset(done)))

    def bar_outgoing(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self._look("bar_outgoing")
        super().bar_outgoing(imsi=imsi, msisdn=msisdn, call_id=call_id)
        if self.die_after == "bar_outgoing":
            self.die_after = None
            raise WorkerKilled

    def deactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self._look("deactivate")
        super().deactivate(imsi=imsi, msisdn=msisdn, call_id=call_id)


@pytest.fixture
def hss(ctx: CaseContext) -> WatchingHss:
    return WatchingHss()


@pytest.fixture
def gateways(ctx: CaseContext, hss: WatchingHss) -> Gateways:
    installed = simulated_gateways(network=hss, esim=SimulatedSmdp())
    tasks.install(ctx, SameForEveryOperator(installed))
    return installed


def _day_of(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    return datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)


def _run(db: Database, at: datetime) -> int:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    return run_pending(db, now=at, worker_id="test")


def _steps(db: Database, case_id: uuid.UUID) -> dict[str, TeardownStep]:
    with db.read_session() as session:
        return {
            s.step: s
            for s in session.scalars(select(TeardownStep).where(TeardownStep.case_id == case_id))
        }


def _prepare(
    db: Database, ctx: CaseContext, packs: PackRegistry, hss: WatchingHss, now: datetime
) -> tuple[World, uuid.UUID]:
    world = build_world(
        db,
        packs,
        kind="esim",
        iccid="8947010000000000025",
        eid="89049032000000000000000000000025",
    )
    case_id = _approved(db, ctx, world, now)
    hss.db, hss.case_id = db, case_id
    return world, case_id


class TestOneStepPerExchange:
    def test_each_call_sees_the_steps_before_it_committed_and_its_own_not(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        gateways: Gateways,
        hss: WatchingHss,
        now: datetime,
    ) -> None:
        _, case_id = _prepare(db, ctx, packs, hss, now)
        _run(db, _day_of(db, case_id, now))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert hss.seen == [
            ("bar_outgoing", frozenset()),
            ("deactivate", frozenset({"bar_outgoing"})),
        ]
        steps = _steps(db, case_id)
        assert [steps[s.name].status for s in STEPS["terminate"]] == ["done"] * 6
        assert steps["bar_outgoing"].outcome == "barred"
        assert steps["esim_release"].outcome == "cancelled"
        assert all(s.attempts == 1 for s in steps.values())
        assert line.status == "terminated"

    def test_a_worker_killed_after_the_call_repeats_it_and_records_the_step_once(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        gateways: Gateways,
        hss: WatchingHss,
        now: datetime,
    ) -> None:
        _, case_id = _prepare(db, ctx, packs, hss, now)
        hss.die_after = "bar_outgoing"
        day = _day_of(db, case_id, now)
        with pytest.raises(WorkerKilled):
            _run(db, day)
        assert "bar_outgoing" not in _steps(db, case_id)  # the call happened, its record did not
        # The lease runs out; another worker claims the job again and repeats the call.
        _run(db, day + timedelta(seconds=DEFAULT_LEASE_SECONDS + 1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert hss.calls.count(("bar_outgoing", line.msisdn)) == 2  # idempotent at the HLR
        assert hss.calls.count(("deactivate", line.msisdn)) == 1
        assert _steps(db, case_id)["bar_outgoing"].attempts == 1


class TestRetries:
    def test_a_step_out_of_tries_fails_the_case_naming_it_and_a_retry_resumes_there(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        gateways: Gateways,
        hss: WatchingHss,
        now: datetime,
    ) -> None:
        world, case_id = _prepare(db, ctx, packs, hss, now)
        day = _day_of(db, case_id, now)

        def refuse(*, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
            raise GatewayError("HLR: connection refused")

        hss.deactivate = refuse  # type: ignore[method-assign]
        for hour in range(0, 24 * 3, 2):
            _run(db, day + timedelta(hours=hour))
        case, _ = _reload(db, case_id)
        assert case.status == "failed"
        assert case.failure_reason == "hss_deactivate: HLR: connection refused"
        steps = _steps(db, case_id)
        assert steps["bar_outgoing"].status == "done"
        assert steps["hss_deactivate"].status == "failed"
        assert steps["hss_deactivate"].attempts == ctx.teardown_max_attempts
        assert steps["hss_deactivate"].detail == "HLR: connection refused"
        assert "esim_release" not in steps

        del hss.deactivate  # the HLR is back
        later = day + timedelta(days=3)
        with db.session() as session:
            cases.retry(session, ctx, actor=world.agent, case_id=case_id, now=later)
        _run(db, later + timedelta(minutes=1))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert hss.calls.count(("bar_outgoing", line.msisdn)) == 1  # done before: not repeated
        assert hss.calls.count(("deactivate", line.msisdn)) == 1
        assert _steps(db, case_id)["hss_deactivate"].attempts == ctx.teardown_max_attempts + 1

    def test_a_refusal_that_cannot_succeed_fails_at_once(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        gateways: Gateways,
        hss: WatchingHss,
        now: datetime,
    ) -> None:
        _, case_id = _prepare(db, ctx, packs, hss, now)

        def unknown(*, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
            raise GatewayError("HLR: no such subscriber", retryable=False)

        hss.bar_outgoing = unknown  # type: ignore[method-assign]
        _run(db, _day_of(db, case_id, now))
        case, _ = _reload(db, case_id)
        assert case.status == "failed"
        assert case.failure_reason == "bar_outgoing: HLR: no such subscriber"
        assert _steps(db, case_id)["bar_outgoing"].attempts == 1

    def test_a_resumption_keeps_the_line_barred_while_another_flag_holds(
        self,
        db: Database,
        ctx: CaseContext,
        packs: PackRegistry,
        gateways: Gateways,
        hss: WatchingHss,
        now: datetime,
    ) -> None:
        world = build_world(db, packs, status="suspended", suspension_flags=["debt", "voluntary"])
        case_id = _approved(db, ctx, world, now, case_type=RequestType.resume)
        _run(db, _day_of(db, case_id, now))
        case, line = _reload(db, case_id)
        assert case.status == "completed", case.failure_reason
        assert line.status == "suspended"
        assert line.suspension_flags == ["debt"]
        assert ("reactivate", line.msisdn) not in hss.calls
        assert _steps(db, case_id)["line_resumed"].outcome == "kept barred: debt"


def test_a_stale_job_of_an_earlier_attempt_records_nothing(
    db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
) -> None:
    world = build_world(db, packs)
    case_id = _approved(db, ctx, world, now)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        if case.status == "approved":
            begin_execution(session, case, actor=world.agent, now=now)
    with db.read_session() as session:
        plan = flows.plan_step(session, case_id=case_id)
    assert plan is not None
    assert plan.step == "bar_outgoing"
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.attempts += 1  # an agent's retry began another attempt meanwhile
    with db.session() as session:
        outcome = flows.record_step(
            session, plan=plan, outcome=Outcome.succeeded("barred"), now=now, max_attempts=5
        )
    assert outcome.status == "skipped"
    assert _steps(db, case_id) == {}
    with db.read_session() as session:
        assert session.get(Line, world.line_id) is not None
