"""A balance moved to another line arrives there (issue 22, item 3), on the real database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from simexit.audit.service import events_for
from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.simulated import SimulatedPayments
from simexit.models import LedgerEntry, Line, Operator, Subscriber
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from tests.cases.conftest import World, build_world
from tests.fixtures.factories import create_line
from tests.refunds.conftest import approve_and_complete, settled_with_refund

OTHER = "+79161234567"


def _world(db: Database, packs: PackRegistry) -> tuple[World, uuid.UUID]:
    world = build_world(
        db, packs, pack_id="ru/mts", plan="prepaid", balance_minor=65000, msisdn="+79160000001"
    )
    with db.session() as session:
        operator = session.get(Operator, world.operator_id)
        owner = session.get(Subscriber, world.subscriber_id)
        assert operator is not None
        assert owner is not None
        other = create_line(
            session, operator=operator, subscriber=owner, msisdn=OTHER, balance_minor=1000
        )
        return world, other.id


def _sums(db: Database, case_id: uuid.UUID) -> dict[str, int]:
    with db.read_session() as session:
        rows = session.execute(
            select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.case_id == case_id)
            .group_by(LedgerEntry.account)
        )
        return {account: int(total) for account, total in rows}


def _balance(db: Database, line_id: uuid.UUID) -> int:
    with db.read_session() as session:
        line = session.get(Line, line_id)
        assert line is not None
        return line.balance_minor


def test_the_moved_balance_is_credited_to_the_other_line(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world, other = _world(db, packs)
    case = settled_with_refund(
        db, ctx, world, now, settlement=SettlementChoice.transfer, transfer_to=OTHER
    )
    assert case.preview is not None
    moved = case.preview.transfer.minor
    assert moved > 0
    assert _balance(db, other) == 1000 + moved
    sums = _sums(db, case.id)
    assert sums["transfer_to_line"] == 0
    assert sum(sums.values()) == 0
    with db.read_session() as session:
        actions = [e.action for e in events_for(session, subject_type="line", subject_id=other)]
        assert "line.balance_credited" in actions


def test_a_target_that_ended_meanwhile_keeps_the_amount_for_an_agent(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world, other = _world(db, packs)
    with db.session() as session:
        opened = cases.open_case(
            session, ctx, actor=world.agent, line_id=world.line_id,
            case_type=RequestType.terminate, channel=Channel.store, now=now,
            settlement=SettlementChoice.transfer, transfer_to_msisdn=OTHER,
        ).case  # fmt: skip
        case_id = opened.id
    with db.session() as session:
        session.execute(update(Line).where(Line.id == other).values(status="terminated"))
    case = approve_and_complete(db, ctx, world, case_id, now)
    assert _balance(db, other) == 1000
    assert case.preview is not None
    assert _sums(db, case.id)["transfer_to_line"] == -case.preview.transfer.minor
    with db.read_session() as session:
        actions = [e.action for e in events_for(session, subject_type="case", subject_id=case.id)]
        assert "case.transfer_not_credited" in actions
