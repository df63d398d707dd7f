"""Two people deciding one case at the same moment: exactly one wins, the other gets a conflict."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select

from simexit.audit.sealing import seal_all
from simexit.audit.service import verify_operator
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.errors import DomainError
from simexit.models import Case
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType
from simexit.principals import Actor, ActorType, StaffRole
from simexit.verification.methods import Method
from tests.cases.conftest import World, build_world, more_lines


def _in_review_case(db: Database, ctx: CaseContext, world: World, now: datetime) -> uuid.UUID:
    with db.session() as session:
        case = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
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
            document_last4="1234",
        )
    with db.session() as session:
        submitted = cases.submit(session, ctx, actor=world.agent, case_id=case.id, now=now)
        status = submitted.status
    if status != "in_review":
        pytest.skip(f"case went to {status}, not in_review")
    return case.id


def _race(
    db: Database, ctx: CaseContext, world: World, case_id: uuid.UUID, now: datetime
) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(action: str, agent_id: str) -> None:
        actor = Actor(
            ActorType.agent, agent_id, operator_id=world.operator_id, role=StaffRole.agent
        )
        barrier.wait()
        try:
            with db.session() as session:
                if action == "approve":
                    cases.approve(session, ctx, actor=actor, case_id=case_id, now=now)
                else:
                    cases.reject(
                        session, ctx, actor=actor, case_id=case_id, reason_code="other", now=now
                    )
            result = f"{action}:ok"
        except DomainError as error:
            result = f"{action}:{error.code}"
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=decide, args=("approve", "a1")),
        threading.Thread(target=decide, args=("reject", "a2")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_concurrent_approve_and_reject_one_wins(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs, pack_id="ru/mts", plan="prepaid", balance_minor=10000)
    case_id = _in_review_case(db, ctx, world, now)
    outcomes = _race(db, ctx, world, case_id, now)
    assert len(outcomes) == 2
    winners = [o for o in outcomes if o.endswith(":ok")]
    losers = [o for o in outcomes if not o.endswith(":ok")]
    assert len(winners) == 1, outcomes
    assert losers[0].endswith("invalid_transition"), outcomes
    seal_all(db)
    with db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (
            case.status == ("rejected" if winners[0].startswith("reject") else "approved")
            or case.status == "executing"
        )
        report = verify_operator(session, world.operator_id)
        assert report.ok, report.problem
        assert report.events > 0
        assert report.unsealed == 0


def test_concurrent_opens_of_one_line_make_one_case(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs)
    barrier = threading.Barrier(4)
    ids: list[uuid.UUID] = []
    lock = threading.Lock()

    def open_one(channel: Channel) -> None:
        barrier.wait()
        with db.session() as session:
            result = cases.open_case(
                session,
                ctx,
                actor=world.agent,
                line_id=world.line_id,
                case_type=RequestType.terminate,
                channel=channel,
                now=now,
            )
            case_id = result.case.id
        with lock:
            ids.append(case_id)

    threads = [
        threading.Thread(target=open_one, args=(c,))
        for c in (Channel.web, Channel.app, Channel.phone, Channel.store)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ids) == 4
    assert len(set(ids)) == 1
    seal_all(db)
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        report = verify_operator(session, world.operator_id)
        assert report.ok, report.problem
        assert report.events > 0
        assert report.unsealed == 0


def test_concurrent_openers_on_many_lines_get_unique_increasing_references(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs)
    line_ids = more_lines(db, world, 8, first_number=41000000)
    barrier = threading.Barrier(len(line_ids))
    errors: list[BaseException] = []

    def open_on(line_id: uuid.UUID) -> None:
        barrier.wait()
        try:
            with db.session() as session:
                cases.open_case(
                    session,
                    ctx,
                    actor=world.agent,
                    line_id=line_id,
                    case_type=RequestType.terminate,
                    channel=Channel.agent,
                    now=now,
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_on, args=(i,)) for i in line_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.read_session() as session:
        references = sorted(session.scalars(select(Case.reference)))
    assert references == [f"NO-2026-{n:06d}" for n in range(1, len(line_ids) + 1)]


def test_a_rolled_back_case_leaves_a_gap_on_postgresql_only(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    """What ADR 0006 promises: unique and increasing references everywhere; gap-free only on
    SQLite (its counter row rolls back with the case), since on PostgreSQL the number comes from
    a sequence that no transaction holds."""
    world = build_world(db, packs)
    (second_line,) = more_lines(db, world, 1, first_number=41000099)

    def open_on(line_id: uuid.UUID) -> str:
        with db.session() as session:
            return cases.open_case(
                session,
                ctx,
                actor=world.agent,
                line_id=line_id,
                case_type=RequestType.terminate,
                channel=Channel.agent,
                now=now,
            ).case.reference

    def open_then_fail() -> None:
        with db.session() as session:
            cases.open_case(
                session,
                ctx,
                actor=world.agent,
                line_id=world.line_id,
                case_type=RequestType.terminate,
                channel=Channel.agent,
                now=now,
            )
            raise RuntimeError("the request fails after the case got its number")

    with pytest.raises(RuntimeError):
        open_then_fail()
    first, second = open_on(world.line_id), open_on(second_line)
    if db.engine.dialect.name == "postgresql":
        assert (first, second) == ("NO-2026-000002", "NO-2026-000003")
    else:
        assert (first, second) == ("NO-2026-000001", "NO-2026-000002")
