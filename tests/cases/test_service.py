"""Case services on real databases: state, audit rows and jobs are read back from the tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, tzinfo
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simexit.audit.sealing import seal_all
from simexit.audit.service import events_for, verify_operator
from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.errors import (
    ConsentRequired,
    IdentityNotVerified,
    NumberReleased,
    TooLateToWithdraw,
)
from simexit.cases.service import VerificationOutcome
from simexit.cases.states import InvalidTransition
from simexit.db import Database
from simexit.errors import InvalidInput
from simexit.lines.errors import LineNotFound, NotPermitted
from simexit.models import Case, Job, Line, Verification
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from simexit.principals import Actor
from simexit.verification.methods import Method
from tests.cases.conftest import World, build_world, verify_with_bankid

_Row = TypeVar("_Row")


def _open(
    db: Database,
    ctx: CaseContext,
    world: World,
    now: datetime,
    *,
    actor: Actor | None = None,
    case_type: RequestType = RequestType.terminate,
    channel: Channel = Channel.web,
    reason_code: str | None = None,
    settlement: SettlementChoice | None = None,
    idempotency_key: str | None = None,
) -> uuid.UUID:
    with db.session() as session:
        result = cases.open_case(
            session,
            ctx,
            actor=world.subscriber if actor is None else actor,
            line_id=world.line_id,
            case_type=case_type,
            channel=channel,
            now=now,
            reason_code=reason_code,
            settlement=settlement,
            idempotency_key=idempotency_key,
        )
        return result.case.id


def _verify(
    db: Database, ctx: CaseContext, world: World, case_id: uuid.UUID, now: datetime
) -> None:
    verify_with_bankid(db, ctx, world.subscriber, case_id, now)


def _submitted(
    db: Database,
    ctx: CaseContext,
    world: World,
    now: datetime,
    *,
    settlement: SettlementChoice | None = None,
) -> Case:
    case_id = _open(db, ctx, world, now, settlement=settlement)
    _verify(db, ctx, world, case_id, now)
    with db.session() as session:
        return cases.submit(
            session,
            ctx,
            actor=world.subscriber,
            case_id=case_id,
            now=now,
            consent_text="I understand what I lose.",
        )


def _stored(session: Session, model: type[_Row], key: uuid.UUID) -> _Row:
    row = session.get(model, key)
    assert row is not None
    return row


def _actions(db: Database, case_id: uuid.UUID) -> list[str]:
    with db.read_session() as session:
        return [e.action for e in events_for(session, subject_type="case", subject_id=case_id)]


def _jobs(db: Database) -> list[Job]:
    with db.read_session() as session:
        return list(session.scalars(select(Job).order_by(Job.created_at)))


class TestOpen:
    def test_opens_a_draft_with_reference_preview_and_audit(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, reason_code="moving_abroad")
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status == "draft"
            assert case.reference == "NO-2026-000001"
            assert case.preview is not None
            assert case.preview.pack_id == "no/telenor"
            assert case.effective_date is not None
            assert case.effective_date >= now.date()
        assert _actions(db, case_id) == ["case.opened"]

    def test_references_count_up_per_operator_and_year(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        first = _open(db, ctx, world, now)
        second = _open(db, ctx, world, now, case_type=RequestType.suspend)
        with db.read_session() as session:
            refs = [_stored(session, Case, i).reference for i in (first, second)]
        assert refs == ["NO-2026-000001", "NO-2026-000002"]

    def test_the_key_is_recorded_but_never_makes_a_repeat(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        """Repeats are the API store's business (per caller, 24 hours); a key seen on another
        case of the operator is not a reason to refuse or to hand that case back."""
        first = _open(db, ctx, world, now, idempotency_key="k1")
        other = _open(db, ctx, world, now, idempotency_key="k1", case_type=RequestType.suspend)
        assert other != first
        with db.read_session() as session:
            keys = [_stored(session, Case, i).idempotency_key for i in (first, other)]
        assert keys == ["k1", "k1"]

    def test_same_line_and_type_from_another_channel_returns_the_open_case(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        first = _open(db, ctx, world, now, channel=Channel.web)
        assert _open(db, ctx, world, now, channel=Channel.phone, actor=world.agent) == first
        with db.read_session() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 1

    def test_other_operator_cannot_see_the_line(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        with pytest.raises(LineNotFound):
            _open(db, ctx, world, now, actor=world.foreign_agent)
        with db.read_session() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 0


class TestVerification:
    def test_code_is_stored_hashed_and_a_delivery_job_is_written(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, channel=Channel.phone)  # Telenor online: BankID
        with db.session() as session:
            issued = cases.start_verification(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                method=Method.sms_otp,
                now=now,
            )
        with db.read_session() as session:
            stored = session.get(Verification, issued.verification.id)
            assert stored is not None
            assert stored.code_hash
            assert issued.code not in stored.code_hash
            assert stored.destination_masked
            assert "•" in stored.destination_masked
            assert _stored(session, Case, case_id).status == "awaiting_verification"
        assert any(job.name.startswith("notifications.") for job in _jobs(db))

    def test_wrong_codes_count_and_lock_after_five(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, channel=Channel.phone)  # Telenor online: BankID
        with db.session() as session:
            issued = cases.start_verification(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                method=Method.sms_otp,
                now=now,
            )
        wrong = "000000" if issued.code != "000000" else "111111"
        outcomes = []
        for _ in range(5):
            with db.session() as session:
                outcomes.append(
                    cases.confirm_verification(
                        session, ctx, actor=world.subscriber, case_id=case_id, code=wrong, now=now
                    )
                )
        assert [o.attempts_left for o in outcomes[:4]] == [4, 3, 2, 1]
        assert outcomes[4].outcome is VerificationOutcome.locked
        with db.session() as session:
            late = cases.confirm_verification(
                session, ctx, actor=world.subscriber, case_id=case_id, code=issued.code, now=now
            )
        assert late.outcome is VerificationOutcome.locked
        assert _actions(db, case_id).count("verification.failed") == 4
        assert "verification.locked" in _actions(db, case_id)

    def test_expired_code_is_refused(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, channel=Channel.phone)  # Telenor online: BankID
        with db.session() as session:
            issued = cases.start_verification(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                method=Method.sms_otp,
                now=now,
            )
        with db.session() as session:
            result = cases.confirm_verification(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                code=issued.code,
                now=now + ctx.code_ttl,
            )
        assert result.outcome is VerificationOutcome.expired

    def test_a_new_code_replaces_the_old_one(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, channel=Channel.phone)  # Telenor online: BankID
        with db.session() as session:
            first = cases.start_verification(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                method=Method.sms_otp,
                now=now,
            )
        with db.session() as session:
            second = cases.start_verification(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                method=Method.sms_otp,
                now=now,
            )
        with db.session() as session:
            result = cases.confirm_verification(
                session, ctx, actor=world.subscriber, case_id=case_id, code=first.code, now=now
            )
        assert result.outcome is not VerificationOutcome.passed or first.code == second.code

    def test_subscriber_cannot_attest_a_document(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, channel=Channel.phone)  # Telenor online: BankID
        with db.session() as session, pytest.raises(NotPermitted):
            cases.attest_identity(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case_id,
                method=Method.id_document,
                now=now,
            )

    def test_agent_records_a_document_check(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now, channel=Channel.store, actor=world.agent)
        with db.session() as session:
            verification = cases.attest_identity(
                session,
                ctx,
                actor=world.agent,
                case_id=case_id,
                method=Method.id_document,
                now=now,
                document_type="passport",
                document_last4="123456789",
            )
        assert verification.evidence["document_last4"] == "6789"
        assert verification.verified_by == "agent:agent-1"


class TestSubmit:
    def test_unverified_case_cannot_be_submitted(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now)
        with db.session() as session, pytest.raises(IdentityNotVerified):
            cases.submit(
                session, ctx, actor=world.subscriber, case_id=case_id, now=now, consent_text="yes"
            )
        with db.read_session() as session:
            assert _stored(session, Case, case_id).status == "draft"

    def test_consent_is_required_online(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now)
        _verify(db, ctx, world, case_id, now)
        with db.session() as session, pytest.raises(ConsentRequired) as error:
            cases.submit(session, ctx, actor=world.subscriber, case_id=case_id, now=now)
        assert error.value.field == "consent"

    def test_clean_postpaid_line_gets_a_date_and_a_decision(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case = _submitted(db, ctx, world, now)
        assert case.status in {"approved", "in_review", "executing"}
        assert case.effective_date is not None
        assert case.effective_date >= now.date()
        actions = _actions(db, case.id)
        assert actions[:5] == [
            "case.opened",
            "case.start_verification",
            "verification.started",
            "verification.passed",
            "case.submit",
        ]
        assert any(a in actions for a in ("case.policy_passed", "case.policy_flagged"))
        if case.status == "in_review":
            assert case.sla_due_date is not None

    def test_pending_port_blocks_with_its_reason(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
    ) -> None:
        world = build_world(db, packs, port_pending=True)
        case = _submitted(db, ctx, world, now)
        assert case.status == "blocked"
        assert "port_pending" in [b.code for b in case.blockers]
        assert any(j.name.startswith("notifications.") for j in _jobs(db))

    def test_blocked_case_can_be_submitted_again_once_cleared(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
    ) -> None:
        world = build_world(db, packs, port_pending=True)
        case = _submitted(db, ctx, world, now)
        with db.session() as session:
            line = session.get(Line, world.line_id)
            assert line is not None
            line.port_pending = False
        with db.session() as session:
            again = cases.submit(session, ctx, actor=world.subscriber, case_id=case.id, now=now)
        assert again.status != "blocked"


class TestDecisions:
    def _in_review(self, db: Database, ctx: CaseContext, world: World, now: datetime) -> Case:
        case = _submitted(db, ctx, world, now)
        if case.status != "in_review":
            pytest.skip("this pack auto-approves clean cases")
        return case

    def test_agent_approves_and_line_waits_for_its_date(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case = _submitted(db, ctx, world, now)
        if case.status == "in_review":
            with db.session() as session:
                case = cases.approve(
                    session, ctx, actor=world.agent, case_id=case.id, now=now, note="ok"
                )
        assert case.status in {"approved", "executing"}
        with db.read_session() as session:
            assert _stored(session, Line, world.line_id).status == "pending_termination"

    def test_subscriber_cannot_approve(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case = _submitted(db, ctx, world, now)
        with db.session() as session, pytest.raises(NotPermitted):
            cases.approve(session, ctx, actor=world.subscriber, case_id=case.id, now=now)

    def test_reject_needs_a_known_reason(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case = _submitted(
            db,
            ctx,
            world,
            now,
        )
        with db.session() as session, pytest.raises(InvalidInput) as error:
            cases.reject(
                session, ctx, actor=world.agent, case_id=case.id, reason_code="because", now=now
            )
        assert error.value.field == "reason"

    def test_withdraw_before_the_date_restores_the_line(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case = _submitted(db, ctx, world, now)
        if case.status == "in_review":
            with db.session() as session:
                case = cases.approve(session, ctx, actor=world.agent, case_id=case.id, now=now)
        if case.status != "approved":
            pytest.skip("effective immediately")
        with db.session() as session:
            withdrawn = cases.withdraw(
                session, ctx, actor=world.subscriber, case_id=case.id, now=now
            )
        assert withdrawn.status == "withdrawn"
        with db.read_session() as session:
            assert _stored(session, Line, world.line_id).status == "active"

    def test_withdraw_on_the_effective_date_is_too_late(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case = _submitted(db, ctx, world, now)
        if case.status == "in_review":
            with db.session() as session:
                case = cases.approve(session, ctx, actor=world.agent, case_id=case.id, now=now)
        if case.status != "approved" or case.effective_date is None:
            pytest.skip("effective immediately")
        later = datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=1)
        with db.session() as session, pytest.raises(TooLateToWithdraw):
            cases.withdraw(session, ctx, actor=world.subscriber, case_id=case.id, now=later)

    def test_rejected_case_is_resubmitted_as_a_linked_draft(
        self, db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
    ) -> None:
        world = build_world(db, packs, port_pending=True)
        case = _submitted(db, ctx, world, now)
        with db.session() as session:
            cases.reject(
                session,
                ctx,
                actor=world.agent,
                case_id=case.id,
                reason_code="policy_not_met",
                now=now,
                note="port first",
            )
        with db.session() as session:
            new = cases.resubmit(
                session,
                ctx,
                actor=world.subscriber,
                case_id=case.id,
                now=now,
                comment="port was cancelled",
            )
            assert new.parent_case_id == case.id
            assert new.status == "draft"
            assert new.reference != case.reference

    def test_illegal_decisions_conflict(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open(db, ctx, world, now)
        with db.session() as session, pytest.raises(InvalidTransition):
            cases.approve(session, ctx, actor=world.agent, case_id=case_id, now=now)
        with db.session() as session, pytest.raises(InvalidTransition):
            cases.retry(session, ctx, actor=world.agent, case_id=case_id, now=now)


def test_audit_chain_verifies_after_a_whole_flow(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    _submitted(db, ctx, world, now, settlement=SettlementChoice.refund)
    seal_all(db)
    with db.read_session() as session:
        report = verify_operator(session, world.operator_id)
    assert report.ok
    assert report.events >= 5


def test_listing_is_tenant_scoped(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    _open(db, ctx, world, now)
    with db.read_session() as session:
        assert len(repository.list_cases(session, world.agent)) == 1
        assert repository.list_cases(session, world.foreign_agent) == []


def test_dates_are_the_operators_calendar_dates(
    db: Database, ctx: CaseContext, world: World
) -> None:
    late_evening_utc = datetime(2026, 12, 31, 23, 30, tzinfo=now_tz())
    case_id = _open(db, ctx, world, late_evening_utc)
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.reference.startswith("NO-2027-")
        assert case.effective_date is not None
        assert case.effective_date >= date(2027, 1, 1)


def now_tz() -> tzinfo:
    from datetime import UTC

    return UTC


@pytest.mark.parametrize("case_type", list(RequestType))
def test_no_request_opens_on_a_line_whose_number_was_released(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime, case_type: RequestType
) -> None:
    """The number may already be someone else's: a case there would write to the old
    subscriber's contact. Nothing is written, no notification, no job."""
    world = build_world(
        db, packs, status="number_released", terminated_on=date(2026, 1, 1), quarantine_until=None
    )
    with db.read_session() as session:
        jobs_before = session.scalar(select(func.count()).select_from(Job))
    with pytest.raises(NumberReleased) as refused:
        _open(db, ctx, world, now, actor=world.agent, case_type=case_type, channel=Channel.store)
    assert refused.value.field == "line_id"
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        assert session.scalar(select(func.count()).select_from(Job)) == jobs_before
