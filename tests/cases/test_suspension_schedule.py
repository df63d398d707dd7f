"""Voluntary suspensions end by themselves at `suspend_until`, and the counter follows the pack."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.cases.ports import Gateways
from simexit.db import Database
from simexit.integrations.simulated import SimulatedHss, simulated_gateways
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import Notification
from simexit.policies.loader import PackRegistry
from simexit.policies.model import RequestType
from tests.cases.conftest import build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.gateways import SameForEveryOperator


@pytest.fixture
def hss() -> SimulatedHss:
    return SimulatedHss()


@pytest.fixture
def gateways(ctx: CaseContext, hss: SimulatedHss) -> Gateways:
    installed = simulated_gateways(network=hss)
    tasks.install(ctx, SameForEveryOperator(installed))
    return installed


def _run(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="test")


def _pause_notices(db: Database) -> list[Notification]:
    with db.read_session() as session:
        return list(
            session.scalars(select(Notification).where(Notification.kind == "line.pause_ended"))
        )


@pytest.mark.parametrize("other_flags", [[], ["debt"]])
def test_a_voluntary_suspension_ends_on_its_date_and_the_subscriber_is_told(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    gateways: Gateways,
    hss: SimulatedHss,
    now: datetime,
    other_flags: list[str],
) -> None:
    world = build_world(db, packs, suspension_flags=other_flags)
    until = (now + timedelta(days=30)).date()
    case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend, suspend_until=until)
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    _run(db, datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3))
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "suspended"
    assert line.voluntary_until == until
    assert ("bar_outgoing", line.msisdn) in hss.calls

    _run(db, datetime.combine(until - timedelta(days=1), now.timetz()))
    assert _reload(db, case_id)[1].status == "suspended"  # not before its day
    _run(db, datetime.combine(until, now.timetz()) + timedelta(hours=2))
    _, line = _reload(db, case_id)
    assert line.voluntary_until is None
    assert line.suspension_flags == other_flags
    notices = _pause_notices(db)
    assert notices, "the subscriber is told"
    if other_flags:
        assert line.status == "suspended"
        assert ("reactivate", line.msisdn) not in hss.calls  # debt still bars it
    else:
        assert line.status == "active"
        assert ("reactivate", line.msisdn) in hss.calls
    _run(db, datetime.combine(until, now.timetz()) + timedelta(hours=5))
    assert len(_pause_notices(db)) == len(notices)  # once


def test_the_yearly_counter_starts_again_in_a_new_year(
    db: Database, ctx: CaseContext, packs: PackRegistry, gateways: Gateways, now: datetime
) -> None:
    world = build_world(db, packs, suspensions_this_year=2, suspensions_counted_year=now.year - 1)
    until = (now + timedelta(days=20)).date()
    case_id = _approved(db, ctx, world, now, case_type=RequestType.suspend, suspend_until=until)
    case, _ = _reload(db, case_id)
    assert case.status != "blocked", case.blockers  # last year's two do not count (telenor)
    assert case.effective_date is not None
    _run(db, datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3))
    _, line = _reload(db, case_id)
    assert line.status == "suspended"
    assert (line.suspensions_this_year, line.suspensions_counted_year) == (1, now.year)
    assert line.suspensions_total == 3


def test_twice_per_number_blocks_a_third_even_in_a_new_year(
    db: Database, ctx: CaseContext, packs: PackRegistry, now: datetime
) -> None:
    from simexit.cases.service.common import decide
    from simexit.models import Line
    from simexit.policies.model import CaseRequest, Channel

    counted = {"suspensions_this_year": 2, "suspensions_counted_year": now.year - 1}
    ice = build_world(db, packs, pack_id="no/ice", suspensions_total=2, **counted)
    telenor = build_world(db, packs, pack_id="no/telenor", suspensions_total=2, **counted)
    request = CaseRequest(
        type=RequestType.suspend, channel=Channel.store, suspend_until=date(now.year, 7, 1)
    )
    with db.read_session() as session:
        found = {}
        for name, world in (("ice", ice), ("telenor", telenor)):
            line = session.get(Line, world.line_id)
            assert line is not None
            decision = decide(session, ctx, line=line, request=request, today=now.date())
            found[name] = [b.code for b in decision.blockers]
    assert "suspension_limit_reached" in found["ice"]  # "at most twice per number"
    assert "suspension_limit_reached" not in found["telenor"]  # twice a year: a new year
