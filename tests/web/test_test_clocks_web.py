"""The console and the portal read the operator's test clock, as the API does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from simexit.models import Line, LoginChallenge, Operator, TestClock
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import sign_in, staff_sign_in, web_line

FROZEN = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)


def _freeze(runtime: Runtime, operator_code: str) -> None:
    with runtime.db.session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        session.add(
            TestClock(
                id=uuid.uuid4(),
                operator_id=operator.id,
                name="web",
                frozen_time=FROZEN,
                created_at=datetime.now(UTC),
                status="ready",
            )
        )


def test_a_console_action_is_stamped_with_the_operators_clock(
    client: WebClient, runtime: Runtime
) -> None:
    line = web_line(runtime)
    with runtime.db.session() as session:
        row = session.get(Line, line.id)
        assert row is not None
        row.sim_return_required, row.sim_returned_at = True, None
        row.terminated_on = FROZEN.date() - timedelta(days=3)
    _freeze(runtime, "ice-no")
    staff_sign_in(client, "agent@ice-no.demo")
    response = client.submit(
        "/console/sim-returns", f"/console/sim-returns/{line.id}", {"note": "came by post"}
    )
    assert response.status_code == 303, response.text
    with runtime.db.read_session() as session:
        row = session.get(Line, line.id)
        assert row is not None
        assert row.sim_returned_at == FROZEN


def test_the_portal_of_a_clocked_operator_reads_its_clock(
    client: WebClient, runtime: Runtime
) -> None:
    """A signed-in subscriber's actions run at their operator's time; signing in itself (no one
    is signed in yet) keeps the wall clock's."""
    line = web_line(runtime)
    _freeze(runtime, "ice-no")
    sign_in(client, runtime, line.msisdn)
    with runtime.db.read_session() as session:
        challenge = session.scalars(select(LoginChallenge)).first()
        assert challenge is not None
        assert challenge.created_at < FROZEN - timedelta(days=365)
    from simexit.web import clocks

    clocks.act_for_subscribers(runtime.db, (line.subscriber_id,))
    assert clocks.now() == FROZEN
    other = web_line(runtime, "telenor-no")
    clocks.act_for_subscribers(runtime.db, (line.subscriber_id, other.subscriber_id))
    assert clocks.now() < FROZEN - timedelta(days=365)
