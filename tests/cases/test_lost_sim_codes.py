"""A code by SMS to a SIM reported lost would reach whoever holds the phone: refused, and the
subscriber is told to use e-mail or an ID check (issue 18, item 6)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, update

from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.cases.errors import MethodNotAllowed
from simexit.db import Database
from simexit.models import Line, Notification
from simexit.policies.model import Channel, RequestType
from simexit.verification.methods import Method
from tests.cases.conftest import World


def test_no_code_goes_to_a_sim_reported_lost(
    db: Database, ctx: CaseContext, world: World, now: datetime
) -> None:
    with db.session() as session:
        session.execute(
            update(Line)
            .where(Line.id == world.line_id)
            .values(status="suspended", suspension_flags=["lost_stolen"])
        )
        case_id = cases.open_case(
            session,
            ctx,
            actor=world.agent,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.phone,  # Telenor's phone channel takes an SMS code
            now=now,
        ).case.id
    with db.session() as session, pytest.raises(MethodNotAllowed) as refused:
        cases.start_verification(
            session, ctx, actor=world.agent, case_id=case_id, method=Method.sms_otp, now=now
        )
    assert "lost" in refused.value.message
    assert refused.value.field == "method"
    with db.read_session() as session:
        assert session.scalars(select(Notification)).all() == []
