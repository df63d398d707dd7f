"""Erasure reaches every copy (issue 14, finding 6): the balance-transfer destination, the
consent text and the identity evidence too; and erasure on request, due by the pack's deadline."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import simexit.notifications.tasks
import simexit.privacy.tasks  # noqa: F401 - registers the erasure job
from simexit.audit.service import events_for
from simexit.cases import service as cases
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.simulated import simulated_gateways
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.lines.states import LineStatus
from simexit.models import Case, ErasureRequest, Line, Subscriber, Verification
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType
from simexit.privacy import service as privacy
from simexit.privacy.errors import LinesStillActive
from simexit.verification.states import VerificationStatus
from tests.cases.conftest import World, build_world
from tests.fixtures.gateways import SameForEveryOperator

TRANSFER_TO = "+4790001234"


@pytest.fixture(autouse=True)
def installed(ctx: CaseContext) -> None:
    tasks.install(ctx, SameForEveryOperator(simulated_gateways()))


def _case_with_copies(db: Database, ctx: CaseContext, world: World, now: datetime) -> uuid.UUID:
    """A case that names where the balance went, what was consented to, and the ID checked."""
    with db.session() as session:
        case_id = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
            now=now,
        ).case.id
        case = session.get(Case, case_id)
        assert case is not None
        case.transfer_to_msisdn, case.consent_text = TRANSFER_TO, "I end +4741234567"
        session.add(
            Verification(
                id=uuid.uuid4(),
                operator_id=world.operator_id,
                case_id=case_id,
                method="id_document",
                destination_masked="+47•••••67",
                status=VerificationStatus.passed,
                expires_at=now,
                created_at=now,
                evidence={"document_type": "passport", "document_last4": "1234", "note": "Kari"},
            )
        )
        return case_id


def _end_line(db: Database, world: World, *, on: date, released: bool = False) -> None:
    with db.session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        line.status = LineStatus.number_released if released else LineStatus.terminated
        line.terminated_on = on


def _assert_no_copies(db: Database, case_id: uuid.UUID) -> None:
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.transfer_to_msisdn, case.consent_text, case.comment) == (None, None, None)
        for verification in session.scalars(
            select(Verification).where(Verification.case_id == case_id)
        ):
            assert verification.evidence == {}
            assert verification.destination_masked is None


def test_retention_erasure_reaches_the_payout_destination_and_identity_evidence(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs)
    case_id = _case_with_copies(db, ctx, world, now)
    _end_line(db, world, on=date(2015, 1, 1), released=True)
    later = now + timedelta(days=1)  # the daily purge has come round
    with db.session() as session:
        ensure_periodic_jobs(session, now=later)
    run_pending(db, now=later, worker_id="w")
    _assert_no_copies(db, case_id)
    with db.read_session() as session:
        [erased] = [
            e
            for e in events_for(session, subject_type="subscriber", subject_id=world.subscriber_id)
            if e.action == "subscriber.erased"
        ]
        assert erased.changes["cases"] == 1
        assert erased.changes["verifications"] >= 1


def test_a_requested_erasure_is_due_by_the_packs_deadline_and_done_by_its_job(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs)
    case_id = _case_with_copies(db, ctx, world, now)
    _end_line(db, world, on=now.date() - timedelta(days=1))  # recently: not due for retention
    with db.session() as session:
        request = privacy.request_erasure(
            session,
            pack=packs.get("no/telenor"),
            actor=world.subscriber,
            subscriber_id=world.subscriber_id,
            today=date(2027, 1, 31),
            now=now,
        )
        request_id = request.id
        # GDPR art. 12(3): one month, a calendar one (not 30 days past the end of February).
        assert request.due_on == date(2027, 2, 28)
        again = privacy.request_erasure(
            session,
            pack=packs.get("no/telenor"),
            actor=world.subscriber,
            subscriber_id=world.subscriber_id,
            today=date(2027, 2, 1),
            now=now,
        )
        assert again.id == request_id  # one pending request per subscriber
    run_pending(db, now=now, worker_id="w")
    _assert_no_copies(db, case_id)
    with db.read_session() as session:
        done = session.get(ErasureRequest, request_id)
        assert done is not None
        assert (done.status, done.requested_by) == ("done", world.subscriber.label)
        subscriber = session.get(Subscriber, world.subscriber_id)
        assert subscriber is not None
        assert subscriber.erased_at is not None
        assert subscriber.phone_e164 is None
        events = events_for(session, subject_type="subscriber", subject_id=world.subscriber_id)
        actions = [e.action for e in events]
        assert actions.count("erasure.requested") == 1
        [erased] = [e for e in events if e.action == "subscriber.erased"]
        assert erased.changes["request_id"] == str(request_id)
        assert erased.changes["due_on"] == "2027-02-28"


def test_erasure_is_refused_while_a_line_runs(
    db: Database, packs: PackRegistry, world: World, now: datetime
) -> None:
    with db.session() as session, pytest.raises(LinesStillActive):
        privacy.request_erasure(
            session,
            pack=packs.get("no/telenor"),
            actor=world.agent,
            subscriber_id=world.subscriber_id,
            today=now.date(),
            now=now,
        )
    with db.read_session() as session:
        assert session.scalars(select(ErasureRequest)).first() is None


def test_another_operators_agent_cannot_ask(
    db: Database, packs: PackRegistry, world: World, now: datetime
) -> None:
    from simexit.errors import NotFound

    _end_line(db, world, on=now.date())
    with db.session() as session, pytest.raises(NotFound):
        privacy.request_erasure(
            session,
            pack=packs.get("no/telenor"),
            actor=world.foreign_agent,
            subscriber_id=world.subscriber_id,
            today=now.date(),
            now=now,
        )


@pytest.mark.parametrize(
    ("pack_id", "due"),
    [
        ("no/telenor", date(2027, 2, 28)),  # GDPR: one month
        ("ru/mts", date(2027, 3, 2)),  # 152-FZ: 30 days
        ("us/att", date(2027, 3, 17)),  # CCPA: 45 days
    ],
)
def test_each_pack_names_its_erasure_deadline(packs: PackRegistry, pack_id: str, due: date) -> None:
    assert packs.get(pack_id).erasure_due(date(2027, 1, 31)) == due


def test_a_contact_read_before_erasure_is_not_reused_after_it(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    """The contact is read once per transaction; erasing the subscriber in that transaction
    drops the copy, so nothing later in it messages the erased address."""
    from simexit.lines import repository as line_repository

    with db.session() as session:
        before = line_repository.contact(session, world.subscriber_id)
        subscriber = session.get(Subscriber, world.subscriber_id)
        assert subscriber is not None
        for line in session.scalars(select(Line).where(Line.subscriber_id == subscriber.id)):
            line.status = LineStatus.terminated
        privacy.erase_subscriber(session, subscriber, now=now, reason={"why": "test"})
        session.flush()
        after = line_repository.contact(session, world.subscriber_id)
    assert (before.erased, before.email is not None) == (False, True)
    assert (after.erased, after.email) == (True, None)
