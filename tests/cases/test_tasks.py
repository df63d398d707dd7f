"""The scheduler's scans, run through the real job runner: the schedule lives in the rows."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs
from simexit.audit.service import events_for
from simexit.cases import service as cases
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.cases.states import CaseStatus
from simexit.db import Database
from simexit.integrations.simulated import simulated_gateways
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.lines import repository as line_repository
from simexit.lines.states import LineStatus
from simexit.models import Case, Line, Notification, Subscriber
from simexit.notifications import service as notifications
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType
from tests.cases.conftest import World, build_world
from tests.fixtures.factories import create_line, create_operator, create_subscriber
from tests.fixtures.gateways import SameForEveryOperator


@pytest.fixture(autouse=True)
def installed(ctx: CaseContext) -> None:
    tasks.install(ctx, SameForEveryOperator(simulated_gateways()))


def _tick(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="scheduler-test")


def _open(db: Database, ctx: CaseContext, world: World, now: datetime) -> uuid.UUID:
    with db.session() as session:
        return cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
            now=now,
        ).case.id


def test_drafts_left_alone_expire(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    case_id = _open(db, ctx, world, now)
    _tick(db, now + ctx.draft_ttl - timedelta(hours=1))
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "draft"
    _tick(db, now + ctx.draft_ttl + timedelta(hours=1))
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert case.status == "expired"
        assert case.closed_at is not None


def test_sla_alert_then_escalation_each_once(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    case_id = _open(db, ctx, world, now)
    due = date(2026, 12, 1)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.sla_due_date = CaseStatus.in_review, due
    day_before = datetime.combine(due - timedelta(days=1), now.timetz())
    _tick(db, day_before)
    _tick(db, day_before + timedelta(hours=1))
    _tick(db, day_before + timedelta(days=2))
    _tick(db, day_before + timedelta(days=3))
    with db.read_session() as session:
        actions = [e.action for e in events_for(session, subject_type="case", subject_id=case_id)]
    assert actions.count("case.sla_due_soon") == 1
    assert actions.count("case.sla_breached") == 1


def test_quarantine_end_releases_the_number(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(
        db,
        packs,
        status="terminated",
        terminated_on=date(2026, 8, 1),
        quarantine_until=date(2026, 12, 1),
    )
    _tick(db, datetime.combine(date(2026, 11, 30), now.timetz()))
    with db.read_session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        assert line.status == "terminated"
    _tick(db, datetime.combine(date(2026, 12, 1), now.timetz()) + timedelta(hours=2))
    with db.read_session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        assert line.status == "number_released"
        assert line.number_released_at is not None
        actions = [e.action for e in events_for(session, subject_type="line", subject_id=line.id)]
    assert actions == ["line.number_released", "line.network_remove"]  # then out of the HLR


def test_unreturned_sim_gets_one_reminder(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(
        db,
        packs,
        status="terminated",
        terminated_on=date(2026, 11, 1),
        quarantine_until=date(2027, 5, 1),
        sim_return_required=True,
    )
    case_id = _open(db, ctx, world, datetime(2026, 10, 1, 9, tzinfo=now.tzinfo))
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        case.status, case.completed_at = (
            CaseStatus.completed,
            datetime(2026, 11, 1, 9, tzinfo=now.tzinfo),
        )
    for day in (10, 11, 12):
        _tick(db, datetime(2026, 11, day, 9, tzinfo=now.tzinfo))
    with db.read_session() as session:
        reminders = session.scalars(
            select(Notification).where(Notification.kind == "case.reminder")
        ).all()
    assert len(reminders) == len({r.channel for r in reminders}) >= 1


def test_retention_purge_erases_personal_data_but_keeps_the_trail(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs)
    days = packs.get("no/telenor").retention_days("case_records")
    assert days is not None, "the Telenor pack names how long customer data is kept"
    case_id = _open(db, ctx, world, now)
    with db.session() as session:  # the line ended long ago and its number was released
        line = session.get(Line, world.line_id)
        assert line is not None
        line.status = LineStatus.number_released
        line.terminated_on = date(2015, 1, 1)
        line.quarantine_until = date(2015, 4, 1)
        line.iccid, line.imsi = "8947080000000000017", "242010000000001"
        subscriber_row = session.get(Subscriber, world.subscriber_id)
        assert subscriber_row is not None
        sent = notifications.notify(  # a message in the log, addressed to them
            session,
            now=now,
            operator_id=world.operator_id,
            kind="verification.code",
            subject_id=uuid.uuid4(),
            language="nb",
            contacts=line_repository.addresses(subscriber_row),
            context={"code": "123456", "expiry_minutes": 10},
        )
        assert sent
    _tick(db, now + timedelta(days=1))
    with db.read_session() as session:
        subscriber = session.get(Subscriber, world.subscriber_id)
        assert subscriber is not None
        assert subscriber.erased_at is not None
        assert subscriber.full_name is None
        assert subscriber.email is None
        assert subscriber.phone_e164 is None
        assert events_for(session, subject_type="case", subject_id=case_id)
        assert events_for(session, subject_type="subscriber", subject_id=world.subscriber_id)
        ended = session.get(Line, world.line_id)
        assert ended is not None
        assert (ended.msisdn, ended.iccid, ended.imsi, ended.eid) == ("erased", None, None, None)
        messages = session.scalars(
            select(Notification).where(Notification.operator_id == world.operator_id)
        ).all()
        assert messages
        for message in messages:
            assert message.recipient == "erased"
            assert "123456" not in message.body_text
            assert message.body_html is None


def test_retention_purge_walks_every_due_subscriber_past_the_live_ones(
    db: Database, packs: PackRegistry, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More live subscribers than the old scan ever looked at, and more leavers than one batch:
    every leaver is erased in one run, no live subscriber or recent leaver is touched."""
    monkeypatch.setattr(tasks, "ERASURE_BATCH", 2)
    days = packs.get("no/telenor").retention_days("case_records")
    assert days is not None
    old, recent = date(2015, 1, 1), (now - timedelta(days=days - 30)).date()
    with db.session() as session:
        operator = create_operator(session, packs=packs)
        groups: dict[str, list[uuid.UUID]] = {"live": [], "old": [], "recent": [], "mixed": []}
        for n in range(23):
            group = "live" if n < 12 else "old" if n < 19 else "recent" if n < 21 else "mixed"
            subscriber = create_subscriber(session, operator=operator, phone=f"+479{n:07d}")
            ended = {
                "status": "number_released",
                "terminated_on": old if group != "recent" else recent,
            }
            create_line(
                session,
                operator=operator,
                subscriber=subscriber,
                msisdn=f"+479{n:07d}",
                **({} if group == "live" else ended),
            )
            if group == "mixed":  # one old line ended, another still live
                create_line(
                    session, operator=operator, subscriber=subscriber, msisdn=f"+478{n:07d}"
                )
            groups[group].append(subscriber.id)
    _tick(db, now + timedelta(days=1))
    with db.read_session() as session:
        erased = {
            s.id
            for s in session.scalars(select(Subscriber).where(Subscriber.erased_at.is_not(None)))
        }
    assert erased == set(groups["old"])


def test_recent_subscribers_are_kept(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    _tick(db, now)
    with db.read_session() as session:
        subscriber = session.get(Subscriber, world.subscriber_id)
        assert subscriber is not None
        assert subscriber.erased_at is None
        assert subscriber.full_name == "Kari Nordmann"
