"""The operator snapshot: one look-up per transaction, and a change is seen by the next one."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, update

from simexit.clock import utc_now
from simexit.db import Database
from simexit.errors import NotFound
from simexit.models import Operator, WebhookEndpoint
from simexit.operators.repository import operator_info
from simexit.policies.loader import load_registry
from tests.fixtures.factories import create_operator


def test_one_look_up_per_transaction_and_fresh_in_the_next(db: Database) -> None:
    with db.session() as session:
        operator_id = create_operator(session, packs=load_registry()).id
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            first = operator_info(session, operator_id)
            again = operator_info(session, operator_id)
            selects = [s for s in statements if "FROM operators" in s]
            session.execute(
                update(Operator).where(Operator.id == operator_id).values(name="Fjord Mobil AS")
            )
            session.add(
                WebhookEndpoint(
                    operator_id=operator_id,
                    url="https://shop.example/hooks",
                    events=[],
                    secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    created_at=utc_now(),
                )
            )
        with db.session() as session:
            changed = operator_info(session, operator_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert again is first
    assert len(selects) == 1
    assert (first.name, changed.name) == ("no/telenor", "Fjord Mobil AS")
    assert (first.has_webhook_endpoints, changed.has_webhook_endpoints) == (False, True)
    assert (changed.timezone, changed.policy_pack) == ("Europe/Oslo", "no/telenor")


def test_an_unknown_operator_is_not_found_by_field(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFound) as refused:
        operator_info(session, uuid.uuid4())
    assert refused.value.field == "operator_id"
