"""Terminations and reactivations of eSIM lines against the fake SM-DP+ (a separate process),
chosen for the operator by the gateways file: a released profile is cancelled with its final
status; an installed one gets no CancelOrder and its subscriber is told to delete it; an unknown
ICCID fails the case with SGP.22's codes, visible in GET /v1/cases/{id}; a peer that is down
fails the case after its retries and an agent's retry completes it once the peer is back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import simexit.notifications.tasks  # noqa: F401 - registers the delivery jobs the flows write
from simexit.access.keys import hash_api_key, new_api_key
from simexit.api.app import create_app
from simexit.api.ratelimit import RateLimits
from simexit.cases import service as cases
from simexit.cases import tasks
from simexit.cases.context import CaseContext
from simexit.db import Database
from simexit.integrations.es2plus.client import Es2PlusClient
from simexit.integrations.registry import REGISTRY, GatewayDirectory
from simexit.jobs.runner import ensure_periodic_jobs, run_pending
from simexit.models import ApiKey, Notification, TeardownStep
from simexit.operators.gateways import load_gateway_plan
from simexit.policies.loader import PackRegistry
from tests.api.conftest import TestClient, build_runtime
from tests.cases.conftest import World, build_world
from tests.cases.test_flows import _approved, _reload
from tests.fixtures.smdp_plus import REQUESTER, RunningSmdp, running_smdp


@pytest.fixture(scope="module")
def smdp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSmdp]:
    with running_smdp(tmp_path_factory.mktemp("smdp")) as running:
        yield running


@pytest.fixture
def esim(ctx: CaseContext, smdp: RunningSmdp, tmp_path: Path) -> Es2PlusClient:
    """Every operator's eSIM port on the ES2+ adapter, through the gateways file."""
    path = tmp_path / "gateways.toml"
    path.write_text(
        "[default]\nsandbox = true\n"
        f'esim = {{ adapter = "es2plus", base_url = "{smdp.base_url}", '
        f'requester_id = "{REQUESTER}", ca_file = "{smdp.ca_file}", timeout_seconds = 3.0, '
        'profile_type = "P-TEST" }\n',
        encoding="utf-8",
    )
    directory = GatewayDirectory(load_gateway_plan(path, catalog=REGISTRY.catalog(), environ={}))
    tasks.install(ctx, directory)
    built = directory.for_operator("any-operator").esim
    assert isinstance(built, Es2PlusClient)
    return built


_serial = iter(range(10_000, 99_999))


def _esim_world(
    db: Database, packs: PackRegistry, pack_id: str = "no/telenor", **line: object
) -> tuple[World, str, str]:
    n = next(_serial)
    iccid, eid = f"89470100000000{n:05d}", f"8904903200000000000000000{n:07d}"
    world = build_world(db, packs, pack_id=pack_id, kind="esim", iccid=iccid, eid=eid, **line)
    return world, iccid, eid


def _run(db: Database, at: datetime) -> None:
    with db.session() as session:
        ensure_periodic_jobs(session, now=at)
    run_pending(db, now=at, worker_id="es2plus-test")


def _day(db: Database, case_id: uuid.UUID, now: datetime) -> datetime:
    case, _ = _reload(db, case_id)
    assert case.effective_date is not None
    return datetime.combine(case.effective_date, now.timetz()) + timedelta(hours=3)


def _step(db: Database, case_id: uuid.UUID, name: str) -> TeardownStep:
    with db.read_session() as session:
        found = session.scalars(
            select(TeardownStep).where(TeardownStep.case_id == case_id, TeardownStep.step == name)
        ).one()
        session.expunge(found)
        return found


def _kinds(db: Database, case_id: uuid.UUID) -> set[str]:
    with db.read_session() as session:
        return set(
            session.scalars(
                select(Notification.kind).where(Notification.subject_id == str(case_id))
            )
        )


def test_a_released_profile_is_cancelled_with_its_final_status(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    world, iccid, eid = _esim_world(db, packs)
    smdp.seed(iccid, "Released", eid=eid)
    case_id = _approved(db, ctx, world, now)
    _run(db, _day(db, case_id, now))
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "terminated"
    assert smdp.state(iccid) == "Unavailable"
    [call] = [c for c in smdp.calls("cancelOrder") if c["body"]["iccid"] == iccid]
    assert call["admin_protocol"] == "gsma/rsp/v2.2.0"
    assert call["http"] == 200
    assert call["body"] == {
        "header": {
            "functionRequesterIdentifier": REQUESTER,
            "functionCallIdentifier": f"simexit-{case_id}-esim_release",
        },
        "iccid": iccid,
        "eid": eid,
        "finalProfileStatusIndicator": "Unavailable",
    }
    assert _step(db, case_id, "esim_release").outcome == "cancelled"
    assert "esim.delete_profile" not in _kinds(db, case_id)


def test_an_installed_profile_gets_no_cancel_order_and_the_subscriber_is_told(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    world, iccid, eid = _esim_world(db, packs, esim_profile_state="installed")
    smdp.seed(iccid, "Installed", eid=eid)
    case_id = _approved(db, ctx, world, now)
    _run(db, _day(db, case_id, now))
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.esim_profile_state == "installed"
    assert not [c for c in smdp.calls("cancelOrder") if c["body"]["iccid"] == iccid]
    assert smdp.state(iccid) == "Installed"
    outcome = _step(db, case_id, "esim_release").outcome or ""
    assert outcome.startswith("profile on a device: not cancellable")
    assert "esim.delete_profile" in _kinds(db, case_id)


def test_a_profile_simexit_did_not_know_was_installed_is_refused_then_handled_alike(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    world, iccid, eid = _esim_world(db, packs)
    smdp.seed(iccid, "Installed", eid=eid)
    case_id = _approved(db, ctx, world, now)
    _run(db, _day(db, case_id, now))
    case, _ = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    [call] = [c for c in smdp.calls("cancelOrder") if c["body"]["iccid"] == iccid]
    failed = call["answer"]["header"]["functionExecutionStatus"]
    assert (failed["statusCodeData"]["subjectCode"], failed["statusCodeData"]["reasonCode"]) == (
        "8.2.1",
        "3.8",
    )
    assert "3.8 (refused)" in (_step(db, case_id, "esim_release").outcome or "")
    assert "esim.delete_profile" in _kinds(db, case_id)


def test_an_unknown_iccid_fails_the_case_with_sgp22_codes_visible_in_the_api(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    world, iccid, _ = _esim_world(db, packs)  # the SM-DP+ never had this profile
    case_id = _approved(db, ctx, world, now)
    _run(db, _day(db, case_id, now))
    case, _ = _reload(db, case_id)
    assert case.status == "failed"
    expected = "ES2+ CancelOrder Failed: 8.2.1 (Profile ICCID) / 3.9 (unknown)"
    assert case.failure_reason is not None
    assert case.failure_reason.startswith(f"esim_release: {expected}")
    assert _step(db, case_id, "esim_release").attempts == 1  # not retried: it cannot help

    prefix, key = new_api_key()
    with db.session() as session:
        session.add(
            ApiKey(
                operator_id=world.operator_id,
                name="test",
                prefix=prefix,
                key_hash=hash_api_key(key),
                scopes=["*"],
                created_at=now,
            )
        )
    app = create_app(build_runtime(db), clock=lambda: now, rate_limits=RateLimits())
    with TestClient(app) as client:
        body = client.get(f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {key}"}).json()
    assert body["status"] == "failed"
    [step] = [s for s in body["teardown_steps"] if s["step"] == "esim_release"]
    assert step["state"] == "failed"
    assert step["error"].startswith(expected)
    assert iccid in step["error"]


def test_a_down_smdp_fails_the_case_after_retries_and_a_retry_once_back_completes(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    world, iccid, eid = _esim_world(db, packs)
    case_id = _approved(db, ctx, world, now)
    day = _day(db, case_id, now)
    smdp.stop()
    try:
        for hour in range(0, 24 * 3, 2):  # the step's back-off spreads its tries over hours
            _run(db, day + timedelta(hours=hour))
    finally:
        smdp.start()  # back on the same address and port, with no profiles
    case, _ = _reload(db, case_id)
    assert case.status == "failed"
    assert case.failure_reason is not None
    assert case.failure_reason.startswith(
        f"esim_release: SM-DP+ at {smdp.base_url} unreachable during ES2+ CancelOrder"
    )
    step = _step(db, case_id, "esim_release")
    assert (step.status, step.attempts) == ("failed", ctx.teardown_max_attempts)

    smdp.seed(iccid, "Released", eid=eid)
    later = day + timedelta(days=3)
    with db.session() as session:
        cases.retry(session, ctx, actor=world.agent, case_id=case_id, now=later)
    _run(db, later + timedelta(minutes=1))
    case, line = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert line.status == "terminated"
    assert smdp.state(iccid) == "Unavailable"


def test_reactivating_an_esim_line_orders_and_releases_a_new_profile(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    from simexit.policies.model import RequestType

    # T-Mobile US reactivates a prepaid line within 120 days (its pack); Telenor offers none.
    world, iccid, eid = _esim_world(
        db, packs, pack_id="us/tmobile", plan="prepaid", msisdn="+12025550123"
    )
    smdp.seed(iccid, "Released", eid=eid)
    fresh = f"8947019{next(_serial):013d}"
    smdp.seed(fresh, "Available", profileType="P-TEST")
    case_id = _approved(db, ctx, world, now)
    at = _day(db, case_id, now)
    _run(db, at)
    assert _reload(db, case_id)[0].status == "completed"
    again = _approved(db, ctx, world, at, case_type=RequestType.reactivate)
    _run(db, _day(db, again, at))
    case, line = _reload(db, again)
    assert case.status == "completed", case.failure_reason
    assert line.status == "active"
    assert line.iccid == fresh
    assert smdp.state(fresh) == "Released"
    assert line.smdp_order_id is not None
    [confirm] = [c for c in smdp.calls("confirmOrder") if c["body"]["iccid"] == fresh]
    assert confirm["body"]["releaseFlag"] is True
    assert confirm["answer"]["matchingId"] == line.smdp_order_id
    assert "esim.new_profile" in _kinds(db, again)


def test_a_worker_lost_after_cancel_order_repeats_it_harmlessly(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    """The CancelOrder reached the SM-DP+ but its worker died before the commit: the next run
    sends the same functionCallIdentifier, the SM-DP+ answers as the first time, and the step
    is recorded once."""
    from simexit.cases import flows
    from simexit.cases.service.execution import begin_execution
    from simexit.integrations.simulated import simulated_gateways
    from simexit.models import Case

    world, iccid, eid = _esim_world(db, packs)
    smdp.seed(iccid, "Released", eid=eid)
    case_id = _approved(db, ctx, world, now)
    day = _day(db, case_id, now)
    with db.session() as session:  # executing, bar and deactivate done: esim_release is next
        case = session.get(Case, case_id)
        assert case is not None
        begin_execution(session, case, actor=world.agent, now=day)
        for name in ("bar_outgoing", "hss_deactivate"):
            session.add(
                TeardownStep(case_id=case_id, step=name, status="done", attempts=1, updated_at=day)
            )
    with db.read_session() as session:
        plan = flows.plan_step(session, case_id=case_id)
    assert plan is not None
    assert plan.step == "esim_release"
    lost = flows.call_step(plan, simulated_gateways(esim=esim))  # ... and the worker dies
    assert lost is not None
    assert lost.ok
    _run(db, day)
    done, _ = _reload(db, case_id)
    assert done.status == "completed", done.failure_reason
    calls = [c for c in smdp.calls("cancelOrder") if c["body"]["iccid"] == iccid]
    assert len(calls) == 2
    assert {c["body"]["header"]["functionCallIdentifier"] for c in calls} == {
        f"simexit-{case_id}-esim_release"
    }
    assert [c["http"] for c in calls] == [200, 200]  # the repeat answered, not refused
    assert smdp.state(iccid) == "Unavailable"
    step = _step(db, case_id, "esim_release")
    assert (step.status, step.attempts) == ("done", 1)


def test_a_subscriber_no_channel_reaches_does_not_stop_the_case(
    db: Database,
    ctx: CaseContext,
    packs: PackRegistry,
    smdp: RunningSmdp,
    esim: Es2PlusClient,
    now: datetime,
) -> None:
    from simexit.models import Subscriber

    world, iccid, eid = _esim_world(db, packs, esim_profile_state="installed")
    smdp.seed(iccid, "Installed", eid=eid)
    case_id = _approved(db, ctx, world, now)
    with db.session() as session:  # the subscriber's addresses are gone by the end date
        subscriber = session.get(Subscriber, world.subscriber_id)
        assert subscriber is not None
        subscriber.email = subscriber.phone_e164 = None
    _run(db, _day(db, case_id, now))
    case, _ = _reload(db, case_id)
    assert case.status == "completed", case.failure_reason
    assert "esim.delete_profile" not in _kinds(db, case_id)
