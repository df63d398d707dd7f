"""Random sequences of requests against one line; DESIGN.md §4's invariants hold after every step."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs
from simexit.audit.sealing import seal_all
from simexit.audit.service import verify_operator
from simexit.cases import flows, tasks
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.states import OPEN, CaseStatus
from simexit.db import Database
from simexit.errors import DomainError
from simexit.integrations.simulated import simulated_gateways
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import AuditEvent, Case, Line, Verification
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from simexit.principals import Actor, ActorType, StaffRole
from simexit.verification.methods import Method
from tests.fixtures.factories import create_line, create_operator, create_subscriber
from tests.fixtures.gateways import SameForEveryOperator

PACKS = ["no/telenor", "no/ice", "us/att", "ru/mts"]
CHANNELS = [Channel.web, Channel.store, Channel.agent, Channel.phone]
TYPES = [RequestType.terminate, RequestType.suspend, RequestType.resume, RequestType.reactivate]


def machine_for(db: Database, ctx: CaseContext, packs: PackRegistry) -> type[RuleBasedStateMachine]:
    class CaseMachine(RuleBasedStateMachine):
        @initialize(
            pack_id=st.sampled_from(PACKS),
            plan=st.sampled_from(["prepaid", "postpaid"]),
            balance=st.integers(0, 50_000),
            unpaid=st.sampled_from([0, 0, 15_000]),
        )
        def setup(self, pack_id: str, plan: str, balance: int, unpaid: int) -> None:
            self.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
            with db.session() as session:
                operator = create_operator(session, packs=packs, pack_id=pack_id, prefix="T")
                subscriber = create_subscriber(session, operator=operator, phone="+4741234567")
                line = create_line(
                    session,
                    operator=operator,
                    subscriber=subscriber,
                    plan=plan,
                    balance_minor=balance if plan == "prepaid" else 0,
                    unpaid_bills_minor=unpaid,
                    last_topup_on=self.now.date() - timedelta(days=60),
                )
                self.operator_id, self.line_id, self.subscriber_id = (
                    operator.id,
                    line.id,
                    subscriber.id,
                )
            self.agent = Actor(
                ActorType.agent, "agent", operator_id=self.operator_id, role=StaffRole.supervisor
            )
            self.subscriber = Actor(
                ActorType.subscriber,
                "sub",
                operator_id=self.operator_id,
                subscriber_id=self.subscriber_id,
            )

        def _cases(self) -> list[Case]:
            with db.read_session() as session:
                return list(
                    session.scalars(
                        select(Case)
                        .where(Case.line_id == self.line_id)
                        .order_by(Case.created_at, Case.reference)
                    )
                )

        def _attempt(self, function: Any, **kwargs: Any) -> Any:
            try:
                with db.session() as session:
                    return function(session, ctx, now=self.now, **kwargs)
            except DomainError:
                return (
                    None  # a refusal is a valid answer; the invariants check nothing half-happened
                )

        def _pick(self, index: int) -> Case | None:
            found = self._cases()
            return found[index % len(found)] if found else None

        @rule(
            case_type=st.sampled_from(TYPES),
            channel=st.sampled_from(CHANNELS),
            settlement=st.sampled_from([None, SettlementChoice.refund, SettlementChoice.forfeit]),
        )
        def open(
            self, case_type: RequestType, channel: Channel, settlement: SettlementChoice | None
        ) -> None:
            self._attempt(
                cases.open_case,
                actor=self.agent,
                line_id=self.line_id,
                case_type=case_type,
                channel=channel,
                settlement=settlement,
            )

        @rule(index=st.integers(0, 20), by_code=st.booleans())
        def verify(self, index: int, by_code: bool) -> None:
            case = self._pick(index)
            if case is None:
                return
            if by_code:
                issued = self._attempt(
                    cases.start_verification,
                    actor=self.subscriber,
                    case_id=case.id,
                    method=Method.sms_otp,
                )
                if issued is not None:
                    self._attempt(
                        cases.confirm_verification,
                        actor=self.subscriber,
                        case_id=case.id,
                        code=issued.code,
                    )
            else:
                self._attempt(
                    cases.attest_identity,
                    actor=self.agent,
                    case_id=case.id,
                    method=Method.id_document,
                    document_type="passport",
                    document_last4="1234",
                )

        @rule(index=st.integers(0, 20))
        def submit(self, index: int) -> None:
            case = self._pick(index)
            if case is not None:
                self._attempt(
                    cases.submit, actor=self.agent, case_id=case.id, consent_text="agreed"
                )

        @rule(
            index=st.integers(0, 20),
            decision=st.sampled_from(["approve", "reject", "withdraw", "retry", "resubmit"]),
        )
        def decide(self, index: int, decision: str) -> None:
            case = self._pick(index)
            if case is None:
                return
            extra: dict[str, Any] = {"reason_code": "other"} if decision == "reject" else {}
            self._attempt(getattr(cases, decision), actor=self.agent, case_id=case.id, **extra)

        @rule(pending=st.booleans())
        def port_changes(self, pending: bool) -> None:
            with db.session() as session:
                line = session.get(Line, self.line_id, with_for_update=True)
                assert line is not None
                if line.status in {"active", "suspended", "pending_termination"}:
                    line.port_pending = pending

        @rule(days=st.integers(0, 40))
        def time_passes(self, days: int) -> None:
            self.now += timedelta(days=days, hours=1)
            with db.session() as session:
                ensure_periodic_jobs(session, now=self.now)
            run_pending(db, now=self.now, worker_id="machine")
            for case in self._cases():
                event(f"{case.type}:{case.status}")

        @invariant()
        def at_most_one_open_case_per_type(self) -> None:
            if not hasattr(self, "line_id"):
                return
            open_types = [c.type for c in self._cases() if CaseStatus(c.status) in OPEN]
            assert len(open_types) == len(set(open_types))

        @invariant()
        def status_matches_the_audit_trail(self) -> None:
            if not hasattr(self, "line_id"):
                return
            seal_all(db)
            with db.read_session() as session:
                for case in session.scalars(select(Case).where(Case.line_id == self.line_id)):
                    last = session.scalars(
                        select(AuditEvent)
                        .where(
                            AuditEvent.subject_type == "case",
                            AuditEvent.subject_id == str(case.id),
                            AuditEvent.action.like("case.%"),
                        )
                        .order_by(AuditEvent.id.desc())
                        .limit(1)
                    ).first()
                    assert last is not None
                    assert last.changes["status"][1] == case.status
                    if case.type == "terminate" and case.status in {"completed", "executing"}:
                        # Every termination records how identity was verified, when and by whom.
                        verified = session.scalar(
                            select(func.count())
                            .select_from(Verification)
                            .where(
                                Verification.case_id == case.id,
                                Verification.status == "passed",
                                Verification.verified_by.is_not(None),
                            )
                        )
                        assert verified
                    if case.status == "completed":
                        assert flows.ledger_balances(session, case)
                report = verify_operator(session, self.operator_id)
                assert (report.ok, report.unsealed) == (True, 0), report.problem

        @invariant()
        def terminated_lines_are_in_quarantine_and_ports_keep_their_numbers(self) -> None:
            if not hasattr(self, "line_id"):
                return
            with db.read_session() as session:
                line = session.get(Line, self.line_id)
                assert line is not None
                if line.status == "terminated":
                    assert line.terminated_on is not None
                    assert line.quarantine_until is not None
                    assert line.quarantine_until >= line.terminated_on
                    assert not line.port_pending

    return CaseMachine


@pytest.mark.slow
def test_case_lifecycle_invariants(
    sqlite_template: Path, tmp_path: Path, packs: PackRegistry
) -> None:
    path = tmp_path / "machine.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    ctx = CaseContext(packs=packs, secret_key=b"m" * 32)
    tasks.install(ctx, SameForEveryOperator(simulated_gateways()))
    try:
        run_state_machine_as_test(
            machine_for(db, ctx, packs),
            settings=settings(
                max_examples=30,
                stateful_step_count=25,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        db.dispose()


def test_unknown_ids_are_not_found(db: Database, packs: PackRegistry) -> None:
    ctx = CaseContext(packs=packs, secret_key=b"m" * 32)
    actor = Actor(ActorType.agent, "a", operator_id=uuid.uuid4())
    with db.session() as session, pytest.raises(DomainError) as error:
        cases.approve(
            session, ctx, actor=actor, case_id=uuid.uuid4(), now=datetime(2026, 1, 1, tzinfo=UTC)
        )
    assert error.value.status == 404
