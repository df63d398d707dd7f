"""The case's decision and the statuses are typed values in the models, on both back ends.

The frozen preview is written and read only as a `policies.model.Decision` (through
`policies.serialize`); statuses are enum members, and a value outside the enum is refused both on
the way in and on the way out.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from simexit.api.v1.schemas import Preview
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.states import CaseStatus
from simexit.db import Database
from simexit.jobs import enqueue
from simexit.lines.states import LineStatus
from simexit.models import Case, Job, Line, Verification
from simexit.policies.model import CaseRequest, Channel, Decision, Finding, RequestType
from simexit.policies.serialize import decision_from_dict, decision_to_dict
from simexit.verification.states import VerificationStatus
from tests.cases.conftest import World, verify_with_bankid


def _open_and_verify(db: Database, ctx: CaseContext, world: World, now: datetime) -> uuid.UUID:
    with db.session() as session:
        case_id = cases.open_case(
            session,
            ctx,
            actor=world.subscriber,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.web,
            now=now,
        ).case.id
    verify_with_bankid(db, ctx, world.subscriber, case_id, now)
    return case_id


class TestFrozenDecision:
    def test_the_submitted_decision_reads_back_equal_and_typed(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open_and_verify(db, ctx, world, now)
        with db.session() as session:
            submitted = cases.submit(
                session, ctx, actor=world.subscriber, case_id=case_id, now=now, consent_text="ok"
            )
            frozen = submitted.preview
        assert isinstance(frozen, Decision)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.preview == frozen
            assert case.blockers == frozen.blockers
            assert all(isinstance(f, Finding) for f in case.review_reasons)
            raw = session.execute(
                text("SELECT preview FROM cases WHERE id = :id"),
                {"id": case_id.hex if db.is_sqlite else case_id},
            ).scalar_one()
        stored = raw if isinstance(raw, dict) else json.loads(raw)
        # The column holds exactly what `policies.serialize` writes, and nothing else does.
        assert stored == decision_to_dict(frozen)
        assert decision_from_dict(stored) == frozen

    def test_the_api_preview_is_the_decision_field_for_field(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        decision_fields = {f.name for f in dataclasses.fields(Decision)} - {"evidence"}
        assert set(Preview.model_fields) == decision_fields | {"total_due", "port_out"}
        with db.read_session() as session:
            decision = cases.preview(
                session,
                ctx,
                actor=world.subscriber,
                line_id=world.line_id,
                request=CaseRequest(RequestType.terminate, Channel.web),
                now=now,
            )
        shown = Preview.of(decision)
        assert shown.effective_date == decision.effective_date
        assert shown.total_due.amount == decision.total_due.as_str()
        assert [b.code for b in shown.blockers] == [b.code for b in decision.blockers]
        assert [c.code for c in shown.checklist] == [c.code for c in decision.checklist]


class TestStatuses:
    def test_rows_read_back_as_enum_members(
        self, db: Database, ctx: CaseContext, world: World, now: datetime
    ) -> None:
        case_id = _open_and_verify(db, ctx, world, now)
        with db.read_session() as session:
            case = session.get(Case, case_id)
            line = session.get(Line, world.line_id)
            verification = session.scalars(
                select(Verification).where(Verification.case_id == case_id)
            ).one()
            assert case is not None
            assert line is not None
            assert case.status is CaseStatus.awaiting_verification
            assert line.status is LineStatus.active
            assert verification.status is VerificationStatus.passed

    def test_a_value_outside_the_enum_is_refused_on_the_way_in(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            enqueue(session, "cases.scan", now=now)
        with (
            pytest.raises(StatementError, match="'finished' is not a valid JobStatus"),
            db.read_session() as session,
        ):
            session.scalars(select(Job).where(Job.status == "finished")).all()

    def test_a_value_outside_the_enum_is_refused_on_the_way_out(
        self, db: Database, now: datetime
    ) -> None:
        with db.session() as session:
            enqueue(session, "cases.scan", now=now)
        with db.session() as session:
            session.execute(text("UPDATE jobs SET status = 'finished'"))
        with (
            pytest.raises(ValueError, match="'finished' is not a valid JobStatus"),
            db.read_session() as session,
        ):
            session.scalars(select(Job)).all()
