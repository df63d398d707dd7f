"""kill -9 of a real `simexit worker` in the middle of a campaign, then a new worker: every
selected line is acted on exactly once (0 twice, 0 lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from simexit.campaigns import service
from simexit.campaigns.rules import Action, Selection
from simexit.db import Database
from simexit.models import AuditEvent, CampaignLine, Line, Operator
from simexit.policies.loader import PackRegistry
from simexit.principals import Actor, ActorType, StaffRole
from tests.campaigns.conftest import NOW
from tests.fixtures.factories import create_line, create_operator, create_subscriber

pytestmark = pytest.mark.slow

SIMEXIT = Path(sys.executable).parent / "simexit"
LINES = 1500


def _worker(db: Database, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIMEXIT_DATABASE_URL": db.url,
        "SIMEXIT_ENV": "local",
        "SIMEXIT_WORKER_POLL_SECONDS": "0.1",
    }
    env.pop("SIMEXIT_TEST_DATABASE_URL", None)
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [str(SIMEXIT), "worker", "--lease-seconds", "3", "--worker-id", name],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate: Callable[[], bool], what: str, bound: float = 240.0) -> None:
    deadline = time.monotonic() + bound
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


def _counts(db: Database, campaign_id: uuid.UUID) -> dict[str, int]:
    with db.read_session() as session:
        rows = session.execute(
            select(CampaignLine.outcome, func.count())
            .where(CampaignLine.campaign_id == campaign_id)
            .group_by(CampaignLine.outcome)
        )
        return {str(o): int(n) for o, n in rows}


def _fleet(db: Database, packs: PackRegistry) -> uuid.UUID:
    with db.session() as session:
        operator = create_operator(session, packs=packs, pack_id="no/telenor")
        for n in range(LINES // 10):
            subscriber = create_subscriber(session, operator=operator, phone=f"+4741{n:06d}")
            for k in range(10):
                create_line(
                    session,
                    operator=operator,
                    subscriber=subscriber,
                    msisdn=f"+4790{n:04d}{k:02d}",
                    brand="Djuice",
                )
        return operator.id


def test_a_worker_killed_mid_campaign(db: Database, packs: PackRegistry, tmp_path: Path) -> None:
    operator_id = _fleet(db, packs)
    agent = Actor(ActorType.agent, "agent@op", operator_id, role=StaffRole.agent)
    supervisor = Actor(ActorType.agent, "sup@op", operator_id, role=StaffRole.supervisor)
    with db.session() as session:
        campaign_id = service.create(
            session, actor=agent, name="block", action=Action.suspend,
            selection=Selection(brand="Djuice"), params={}, start_at=None, now=NOW,
        ).id  # fmt: skip
        service.approve(session, actor=supervisor, campaign_id=campaign_id, now=NOW)

    first = _worker(db, tmp_path, "first")
    try:
        _wait(lambda: _counts(db, campaign_id).get("done", 0) > 0, "the first chunk")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = _counts(db, campaign_id)
    assert at_kill.get("pending", 0) > 0, at_kill  # killed mid-campaign

    second = _worker(db, tmp_path, "second")
    try:
        _wait(lambda: _counts(db, campaign_id).get("pending", 0) == 0, "the rest")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert _counts(db, campaign_id) == {"done": LINES}  # 0 lost
    with db.read_session() as session:
        per_line = dict(
            session.execute(
                select(AuditEvent.subject_id, func.count())
                .where(AuditEvent.action == "line.suspended")
                .group_by(AuditEvent.subject_id)
            ).all()
        )
        suspended = session.scalar(
            select(func.count()).where(Line.operator_id == operator_id, Line.status == "suspended")
        )
        assert session.get(Operator, operator_id) is not None
    assert len(per_line) == LINES
    assert set(per_line.values()) == {1}  # 0 twice
    assert suspended == LINES
