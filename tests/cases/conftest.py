from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest

from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.policies.loader import PackRegistry, load_registry
from simexit.principals import Actor, ActorType, StaffRole
from tests.fixtures.factories import create_line, create_operator, create_subscriber


@pytest.fixture(scope="session")
def packs() -> PackRegistry:
    return load_registry()


@pytest.fixture
def ctx(packs: PackRegistry) -> CaseContext:
    return CaseContext(packs=packs, secret_key=b"k" * 32)


@dataclass
class World:
    operator_id: uuid.UUID
    line_id: uuid.UUID
    subscriber_id: uuid.UUID
    other_operator_id: uuid.UUID

    @property
    def subscriber(self) -> Actor:
        return Actor(
            ActorType.subscriber,
            str(self.subscriber_id),
            operator_id=self.operator_id,
            subscriber_id=self.subscriber_id,
        )

    @property
    def agent(self) -> Actor:
        return Actor(ActorType.agent, "agent-1", operator_id=self.operator_id, role=StaffRole.agent)

    @property
    def foreign_agent(self) -> Actor:
        return Actor(
            ActorType.agent, "agent-x", operator_id=self.other_operator_id, role=StaffRole.agent
        )


def build_world(
    db: Database, packs: PackRegistry, *, pack_id: str = "no/telenor", **line: object
) -> World:
    with db.session() as session:
        operator = create_operator(session, packs=packs, pack_id=pack_id)
        other = create_operator(session, packs=packs, pack_id="us/att", prefix="US")
        subscriber = create_subscriber(session, operator=operator)
        created = create_line(session, operator=operator, subscriber=subscriber, **line)
        return World(operator.id, created.id, subscriber.id, other.id)


def more_lines(db: Database, world: World, count: int, *, first_number: int) -> list[uuid.UUID]:
    """`count` more lines of the world's operator, each with a subscriber of its own, numbered
    +47`first_number`, +47`first_number + 1`, ..."""
    from simexit.models import Operator

    with db.session() as session:
        operator = session.get(Operator, world.operator_id)
        assert operator is not None
        return [
            create_line(
                session,
                operator=operator,
                subscriber=create_subscriber(
                    session, operator=operator, phone=f"+47{first_number + n}"
                ),
            ).id
            for n in range(count)
        ]


@pytest.fixture
def world(db: Database, packs: PackRegistry) -> World:
    return build_world(db, packs)


def verify_with_bankid(
    db: Database, ctx: CaseContext, actor: Actor, case_id: uuid.UUID, now: datetime
) -> None:
    """What the world's pack (Telenor) asks online: BankID, here from the simulated provider
    (`cases.service.eid`; tests/oidc runs the same against a real OpenID provider)."""
    from simexit.cases import service as cases
    from simexit.verification.methods import Method
    from simexit.verification.ports import VerifiedIdentity

    with db.session() as session:
        check = cases.start_eid_check(
            session, ctx, actor=actor, case_id=case_id, method=Method.bankid, now=now
        )
        check_id = check.id
    proven = VerifiedIdentity(subject="sim", methods=("bankid",), simulated=True)
    with db.session() as session:
        outcome = cases.finish_eid_check(
            session, ctx, actor=actor, check_id=check_id, identity=proven, refusal=None, now=now
        )
    assert outcome.passed, outcome.reason
