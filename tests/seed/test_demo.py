from __future__ import annotations

from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import func, select
from stdnum import luhn

from simexit.db import Database
from simexit.lines.facts import line_facts
from simexit.models import Line, Operator
from simexit.policies.engine import evaluate
from simexit.policies.loader import load_registry
from simexit.policies.model import CaseRequest, Channel, RequestType
from simexit.seed.demo import is_seeded, seed_demo

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_demo_data_is_valid_and_covers_every_situation(db: Database) -> None:
    packs = load_registry()
    with db.session() as session:
        result = seed_demo(session, packs=packs, now=NOW, password_hash="x")
        assert is_seeded(session)
    assert result.operators == 10
    assert 45 <= result.lines <= 80
    with db.read_session() as session:
        lines = session.scalars(select(Line)).all()
        assert {ln.kind for ln in lines} == {"physical_sim", "esim", "data_only"}
        assert {ln.plan for ln in lines} == {"prepaid", "postpaid"}
        assert any(ln.port_pending for ln in lines)
        assert any(ln.unpaid_bills_minor for ln in lines)
        assert any(ln.device_instalment_minor for ln in lines)
        assert any(ln.status == "terminated" for ln in lines)
        assert any(ln.status == "suspended" for ln in lines)
        assert session.scalar(select(func.count()).select_from(Operator)) == 10
        for line in lines:
            number = phonenumbers.parse(line.msisdn)
            assert phonenumbers.is_valid_number(number), line.msisdn
            assert line.iccid
            assert luhn.is_valid(line.iccid)
            assert line.iccid.startswith("89")
            assert line.imsi
            assert len(line.imsi) == 15
            operator = session.get(Operator, line.operator_id)
            assert operator is not None
            for case_type in RequestType:
                evaluate(
                    packs.get(operator.policy_pack),
                    line_facts(line),
                    CaseRequest(type=case_type, channel=Channel.web),
                    NOW.date(),
                )
