"""Every fee the subscriber was shown is posted (issue 22, item 1): a pause fee when the pause is
carried out, a SIM non-return fee once the deadline has passed, each once, on the real database."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from simexit.cases import service as cases
from simexit.cases import tasks as case_tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.simulated import SimulatedPayments, simulated_gateways
from simexit.models import LedgerEntry, Line
from simexit.policies.loader import PackRegistry, load_registry
from simexit.policies.model import Channel, RequestType, SettlementChoice
from tests.cases.conftest import build_world
from tests.fixtures.gateways import SameForEveryOperator
from tests.refunds.conftest import approve_and_complete, run_on, settled_with_refund


def _by_kind(db: Database, case_id: uuid.UUID) -> dict[tuple[str, str], int]:
    with db.read_session() as session:
        rows = session.execute(
            select(LedgerEntry.kind, LedgerEntry.account, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.case_id == case_id)
            .group_by(LedgerEntry.kind, LedgerEntry.account)
        )
        return {(kind, account): int(total) for kind, account, total in rows}


def test_the_ice_pause_fee_is_posted_when_the_pause_is_carried_out(
    db: Database, ctx: CaseContext, packs: PackRegistry, payments: SimulatedPayments, now: datetime
) -> None:
    world = build_world(db, packs, pack_id="no/ice")
    with db.session() as session:
        case = cases.open_case(
            session, ctx, actor=world.agent, line_id=world.line_id,
            case_type=RequestType.suspend, channel=Channel.store, now=now,
            suspend_until=now.date() + timedelta(days=30),
        ).case  # fmt: skip
        assert case.preview is not None
        assert [(c.code, c.amount.minor) for c in case.preview.charges] == [
            ("suspension_fee", 9900)
        ]
        case_id = case.id
    approve_and_complete(db, ctx, world, case_id, now)
    assert _by_kind(db, case_id) == {
        ("suspension_fee", "subscriber_receivable"): 9900,
        ("suspension_fee", "operator_revenue"): -9900,
    }


SIM_PACK = """
pack:
  id: us/simco
  kind: operator
  extends: [country/us]
  country: US
  operator: {legal_name: "Sim Co"}
  reviewed: 2026-12-04
sim:
  physical_return_required: {value: true, status: U}
  return_within_days: {value: 30, status: U}
  non_return_fee: {value: "25", status: U}
"""


def test_a_sim_not_returned_by_its_deadline_costs_the_fee_once(
    db: Database, ctx: CaseContext, payments: SimulatedPayments, now: datetime, tmp_path: Path
) -> None:
    (tmp_path / "simco.yaml").write_text(SIM_PACK, encoding="utf-8")
    packs = load_registry([tmp_path])
    sim_ctx = CaseContext(packs=packs, secret_key=ctx.secret_key)
    case_tasks.install(sim_ctx, SameForEveryOperator(simulated_gateways(payments=payments)))
    world = build_world(db, packs, pack_id="us/simco", msisdn="+12025550123")
    case = settled_with_refund(db, sim_ctx, world, now, settlement=SettlementChoice.forfeit)
    assert case.preview is not None
    deadline = case.preview.sim_return_deadline
    assert deadline is not None
    with db.read_session() as session:
        line = session.get(Line, world.line_id)
        assert line is not None
        assert line.sim_return_required
    run_on(db, deadline, now)
    assert ("sim_non_return_fee", "subscriber_receivable") not in _by_kind(db, case.id)
    later = deadline + timedelta(days=1)
    run_on(db, later, now)
    run_on(db, later + timedelta(days=1), now)
    sums = _by_kind(db, case.id)
    assert sums[("sim_non_return_fee", "subscriber_receivable")] == 2500
    assert sums[("sim_non_return_fee", "operator_revenue")] == -2500  # once, though run twice
