"""A balance request the operator does not offer, or a transfer to a number that is not the
subscriber's live line, is refused at opening naming the field (issue 22, item 3)."""

from __future__ import annotations

from datetime import datetime

import pytest

from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.errors import InvalidFields
from simexit.models import Operator, Subscriber
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from tests.cases.conftest import World, build_world
from tests.fixtures.factories import create_line

OWN_OTHER = "+79161234567"
SOMEONE_ELSES = "+79161234568"
SUSPENDED_OWN = "+79161234569"


def _open(
    db: Database,
    ctx: CaseContext,
    world: World,
    now: datetime,
    settlement: SettlementChoice,
    transfer_to: str | None = None,
) -> str:
    with db.session() as session:
        return cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
            now=now,
            settlement=settlement,
            transfer_to_msisdn=transfer_to,
        ).case.status


def _refusal(call: object) -> list[tuple[str, str]]:
    assert isinstance(call, InvalidFields)
    return [(field, rule) for field, rule, _d, _p in call.problems]


def test_a_transfer_where_the_operator_offers_none_is_refused_not_forfeited(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(db, packs, pack_id="no/telenor", plan="prepaid", balance_minor=39900)
    with pytest.raises(InvalidFields) as refused:
        _open(db, ctx, world, now, SettlementChoice.transfer, "+4790000001")
    assert _refusal(refused.value) == [("body.settlement", "settlement_not_offered")]
    assert _open(db, ctx, world, now, SettlementChoice.refund) == "draft"


def test_a_transfer_goes_only_to_another_live_line_of_the_same_subscriber(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    world = build_world(
        db, packs, pack_id="ru/mts", plan="prepaid", balance_minor=65000, msisdn="+79160000001"
    )
    with db.session() as session:
        operator = session.get(Operator, world.operator_id)
        owner = session.get(Subscriber, world.subscriber_id)
        assert operator is not None
        assert owner is not None
        create_line(session, operator=operator, subscriber=owner, msisdn=OWN_OTHER)
        create_line(session, operator=operator, msisdn=SOMEONE_ELSES)
        create_line(
            session, operator=operator, subscriber=owner, msisdn=SUSPENDED_OWN, status="suspended"
        )
    expected = {
        "+79999999999": "transfer_target_unknown",
        "+79160000001": "transfer_target_same_line",
        SOMEONE_ELSES: "transfer_target_other_subscriber",
        SUSPENDED_OWN: "transfer_target_inactive",
    }
    for number, rule in expected.items():
        with pytest.raises(InvalidFields) as refused:
            _open(db, ctx, world, now, SettlementChoice.transfer, number)
        assert _refusal(refused.value) == [("body.transfer_to_msisdn", rule)], number
    assert _open(db, ctx, world, now, SettlementChoice.transfer, OWN_OTHER) == "draft"
