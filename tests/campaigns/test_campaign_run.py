"""A campaign end to end on each back end: dry run = run, four eyes, skip reasons, pause,
resume, abort, never twice."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from simexit.audit.sealing import seal_all
from simexit.audit.service import events_for, verify_operator
from simexit.campaigns import service
from simexit.campaigns.errors import ApproverRoleRequired, SameApprover
from simexit.campaigns.rules import Action, Selection
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.jobs import run_pending
from simexit.models import AuditEvent, Campaign, CampaignLine, Case, Job, Line, Notification
from simexit.policies.loader import PackRegistry
from tests.campaigns.conftest import NOW, Fleet, build_fleet


@pytest.fixture
def fleet(db: Database, packs: PackRegistry, ctx: CaseContext) -> Fleet:
    return build_fleet(db, packs)


def _create(db: Database, fleet: Fleet, action: Action, **params: object) -> uuid.UUID:
    with db.session() as session:
        return service.create(
            session,
            actor=fleet.agent,
            name="Djuice closure",
            action=action,
            selection=Selection(brand="Djuice"),
            params=dict(params),
            start_at=None,
            now=NOW,
        ).id


def _approve(db: Database, fleet: Fleet, campaign_id: uuid.UUID) -> None:
    with db.session() as session:
        service.approve(session, actor=fleet.supervisor, campaign_id=campaign_id, now=NOW)


def _outcomes(db: Database, campaign_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, str | None]]:
    with db.read_session() as session:
        rows = session.scalars(select(CampaignLine).where(CampaignLine.campaign_id == campaign_id))
        return {row.line_id: (row.outcome, row.reason) for row in rows}


def _snapshot(db: Database) -> tuple[list[tuple[Any, ...]], int, int, int]:
    with db.read_session() as session:
        lines = [
            (line.id, line.status, tuple(line.suspension_flags), line.updated_at)
            for line in session.scalars(select(Line).order_by(Line.id))
        ]
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        jobs = session.scalar(select(func.count()).select_from(Job)) or 0
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return lines, cases, jobs, events


def test_a_dry_run_changes_nothing_and_counts_what_the_run_does(
    db: Database, fleet: Fleet, ctx: CaseContext
) -> None:
    campaign_id = _create(db, fleet, Action.suspend)
    before = _snapshot(db)
    with db.read_session() as session:
        dry = service.dry_run(session, ctx, actor=fleet.agent, campaign_id=campaign_id, now=NOW)
    assert _snapshot(db) == before
    assert dry.selected == len(fleet.plain) + 3  # the other brand is not selected
    assert dry.blocked == {"open_case": 1, "port_pending": 1}
    assert dry.acted == len(fleet.plain) + 1  # debt does not stop a suspension

    _approve(db, fleet, campaign_id)
    run_pending(db, now=NOW, worker_id="test")
    outcomes = _outcomes(db, campaign_id)
    assert sum(1 for o, _ in outcomes.values() if o == "done") == dry.acted
    skipped = {r: sum(1 for o, x in outcomes.values() if x == r) for r in dry.blocked}
    assert skipped == dry.blocked
    assert outcomes[fleet.ported] == ("skipped", "port_pending")
    assert outcomes[fleet.with_case] == ("skipped", "open_case")
    with db.read_session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign.status == "done"
        suspended = session.get(Line, fleet.plain[0])
        assert suspended is not None
        assert (suspended.status, suspended.suspension_flags) == ("suspended", ["regulatory"])
        untouched = session.get(Line, fleet.other_brand)
        assert untouched is not None
        assert untouched.status == "active"
        actions = [
            e.action for e in events_for(session, subject_type="line", subject_id=fleet.plain[0])
        ]
        assert actions.count("line.suspended") == 1
        assert actions.count("line.network_bar") == 1  # the chunk's one network job
        progress = service.progress_of(session, campaign, now=NOW)
        assert progress.counts == {"done": dry.acted, "skipped": 2}
        assert progress.eta_seconds == 0
    seal_all(db)  # the chunk's audit rows, written in one statement, seal and verify as any
    with db.read_session() as session:
        report = verify_operator(session, fleet.operator_id)
        assert report.ok, report.problem
        assert report.unsealed == 0


def test_a_termination_goes_through_a_case_per_line(
    db: Database, fleet: Fleet, ctx: CaseContext
) -> None:
    campaign_id = _create(db, fleet, Action.terminate)
    with db.read_session() as session:
        dry = service.dry_run(session, ctx, actor=fleet.agent, campaign_id=campaign_id, now=NOW)
    assert dry.blocked == {"debt": 1, "open_case": 1, "port_pending": 1}
    assert dry.evaluated == dry.acted == len(fleet.plain)
    assert set(dry.refunds_minor) == {"NOK"}
    _approve(db, fleet, campaign_id)
    run_pending(db, now=NOW, worker_id="test")
    outcomes = _outcomes(db, campaign_id)
    assert outcomes[fleet.in_debt] == ("skipped", "debt")
    done = [line for line, (o, _) in outcomes.items() if o == "done"]
    assert len(done) == dry.acted
    with db.read_session() as session:
        cases = list(session.scalars(select(Case).where(Case.line_id.in_(done))))
        assert len(cases) == len(done)  # one case per line, never two
        assert all(c.preview is not None and c.channel == "agent" for c in cases)
        assert {c.status for c in cases} <= {
            "approved",
            "scheduled",
            "in_review",
            "executing",
            "completed",
        }


def test_four_eyes(db: Database, fleet: Fleet) -> None:
    campaign_id = _create(db, fleet, Action.suspend)
    with db.session() as session, pytest.raises(SameApprover):
        service.approve(session, actor=fleet.agent, campaign_id=campaign_id, now=NOW)
    other_agent = fleet.staff("agent2@op", fleet.agent.role)  # type: ignore[arg-type]
    with db.session() as session, pytest.raises(ApproverRoleRequired):
        service.approve(session, actor=other_agent, campaign_id=campaign_id, now=NOW)
    with db.session() as session:
        approved = service.approve(
            session, actor=fleet.supervisor, campaign_id=campaign_id, now=NOW
        )
        assert approved.approved_by == "agent:supervisor@op"


def test_pause_resume_and_abort(db: Database, fleet: Fleet) -> None:
    campaign_id = _create(db, fleet, Action.suspend)
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.start_at = NOW + timedelta(hours=1)
    _approve(db, fleet, campaign_id)
    run_pending(db, now=NOW, worker_id="test")
    assert _outcomes(db, campaign_id) == {}  # its time has not come
    later = NOW + timedelta(hours=1)
    with db.session() as session:
        service.pause(session, actor=fleet.supervisor, campaign_id=campaign_id, now=NOW)
    run_pending(db, now=later, worker_id="test")
    assert _outcomes(db, campaign_id) == {}  # paused before it started: nothing runs
    with db.session() as session:
        service.resume(session, actor=fleet.supervisor, campaign_id=campaign_id, now=later)
        service.pause(session, actor=fleet.supervisor, campaign_id=campaign_id, now=later)
    run_pending(db, now=later, worker_id="test")
    assert {o for o, _ in _outcomes(db, campaign_id).values()} == {"pending"}
    with db.session() as session:
        service.abort(session, actor=fleet.supervisor, campaign_id=campaign_id, now=later)
    run_pending(db, now=later, worker_id="test")
    outcomes = _outcomes(db, campaign_id)
    assert {o for o, _ in outcomes.values()} == {"aborted"}
    with db.read_session() as session:
        line = session.get(Line, fleet.plain[0])
        assert line is not None
        assert line.status == "active"


def test_a_notice_campaign_tells_each_subscriber_once_in_their_language(
    db: Database, fleet: Fleet
) -> None:
    campaign_id = _create(db, fleet, Action.notify, messages={"nb": "Hei", "en": "Hello"})
    _approve(db, fleet, campaign_id)
    run_pending(db, now=NOW, worker_id="test")
    run_pending(db, now=NOW + timedelta(minutes=1), worker_id="test")  # a second pass: nothing
    outcomes = _outcomes(db, campaign_id)
    done = {line for line, (o, _) in outcomes.items() if o == "done"}
    assert len(done) == len(fleet.plain) + 1
    with db.read_session() as session:
        sent = list(
            session.scalars(select(Notification).where(Notification.kind == "operator.message"))
        )
    per_line = {n.subject_id.rsplit("-", 1)[1] for n in sent}
    assert per_line == {line.hex for line in done}
    assert len(sent) == len({(n.subject_id, n.channel) for n in sent})
    assert {n.language for n in sent} == {"nb"}
