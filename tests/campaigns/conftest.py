"""A world of an operator with lines in the states a campaign meets, and the actors that run it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from simexit.campaigns import tasks as campaign_tasks
from simexit.cases import tasks as case_tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.simulated import simulated_gateways
from simexit.models import Case, Operator
from simexit.policies.loader import PackRegistry, load_registry
from simexit.principals import Actor, ActorType, StaffRole
from tests.fixtures.factories import create_line, create_operator, create_subscriber
from tests.fixtures.gateways import SameForEveryOperator

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def packs() -> PackRegistry:
    return load_registry()


@pytest.fixture
def ctx(packs: PackRegistry) -> CaseContext:
    context = CaseContext(packs=packs, secret_key=b"k" * 32)
    campaign_tasks.install(context)
    case_tasks.install(context, SameForEveryOperator(simulated_gateways()))
    return context


@dataclass
class Fleet:
    operator_id: uuid.UUID
    plain: list[uuid.UUID]  # active, nothing in the way
    ported: uuid.UUID  # a port-out pending
    with_case: uuid.UUID  # an open case of the subscriber's
    in_debt: uuid.UUID  # unpaid bills
    other_brand: uuid.UUID

    def staff(self, name: str, role: StaffRole) -> Actor:
        return Actor(ActorType.agent, name, operator_id=self.operator_id, role=role)

    @property
    def agent(self) -> Actor:
        return self.staff("agent@op", StaffRole.agent)

    @property
    def supervisor(self) -> Actor:
        return self.staff("supervisor@op", StaffRole.supervisor)


def build_fleet(db: Database, packs: PackRegistry, *, plain: int = 6) -> Fleet:
    with db.session() as session:
        operator = create_operator(session, packs=packs, pack_id="no/telenor")

        def line(n: int, **values: object) -> uuid.UUID:
            subscriber = create_subscriber(session, operator=operator, phone=f"+474100{n:04d}")
            return create_line(
                session, operator=operator, subscriber=subscriber, brand="Djuice", **values
            ).id

        lines = [line(n) for n in range(plain)]
        ported = line(900, port_pending=True)
        with_case = line(901)
        in_debt = line(902, unpaid_bills_minor=5000)
        other = create_line(
            session,
            operator=operator,
            subscriber=create_subscriber(session, operator=operator, phone="+4741009999"),
            brand="Telenor",
        ).id
        _open_case(session, operator, with_case)
        return Fleet(operator.id, lines, ported, with_case, in_debt, other)


def _open_case(session: object, operator: Operator, line_id: uuid.UUID) -> None:
    from sqlalchemy.orm import Session

    from simexit.models import Line

    assert isinstance(session, Session)
    line = session.get(Line, line_id)
    assert line is not None
    session.add(
        Case(
            id=uuid.uuid4(),
            operator_id=operator.id,
            line_id=line.id,
            subscriber_id=line.subscriber_id,
            reference=f"{operator.reference_prefix}-2026-999999",
            type="suspend",
            channel="web",
            status="draft",
            blockers=(),
            review_reasons=(),
            language="nb",
            created_at=NOW,
            status_changed_at=NOW,
        )
    )
