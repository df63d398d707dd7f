"""Jobs carry their operator: an operator's staff sees and retries only its own jobs.

The attack this answers: a Telenor supervisor saw a Telia job on /console/jobs with its error
text (a Telia subscriber's address in it) and could retry it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import select, update

from simexit import migrate
from simexit.audit.sealing import seal_all
from simexit.audit.service import events_for, retry_job_audited
from simexit.cases import service as cases
from simexit.db import Database
from simexit.errors import NotFound
from simexit.jobs import enqueue
from simexit.jobs.admin import PLATFORM, count_by_status, get_job, list_jobs
from simexit.models import Job, JobStatus, Line, Operator
from simexit.policies.model import Channel, RequestType
from simexit.principals import Actor, ActorType, StaffRole
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def _operator_id(db: Database, code: str) -> uuid.UUID:
    with db.read_session() as session:
        return session.scalars(select(Operator.id).where(Operator.code == code)).one()


def _dead_job(db: Database, operator_id: uuid.UUID | None, error: str) -> uuid.UUID:
    with db.session() as session:
        job_id = enqueue(
            session, "cases.execute", now=NOW, operator_id=operator_id, case_id=str(uuid.uuid4())
        ).id
        session.execute(  # as the runner leaves a job that used all its attempts
            update(Job)
            .where(Job.id == job_id)
            .values(status=JobStatus.dead, last_error=error, finished_at=NOW)
        )
        return job_id


def test_scope_filters_lists_counts_reads_and_retries(runtime: Runtime) -> None:
    db = runtime.db
    telenor, telia = _operator_id(db, "telenor-no"), _operator_id(db, "telia-no")
    mine = _dead_job(db, telenor, "HSS timeout")
    theirs = _dead_job(db, telia, "SMTP refused kari@example.org")
    platform = _dead_job(db, None, "scan crashed")
    with db.read_session() as session:
        assert {j.id for j in list_jobs(session, status="dead", scope=telenor)} == {mine}
        assert {j.id for j in list_jobs(session, status="dead", scope=PLATFORM)} >= {
            mine,
            theirs,
            platform,
        }
        assert count_by_status(session, scope=telenor)["dead"] == 1
        with pytest.raises(NotFound):
            get_job(session, theirs, scope=telenor)
    agent = Actor(
        ActorType.agent,
        "supervisor@telenor-no.demo",
        operator_id=telenor,
        role=StaffRole.supervisor,
    )
    with pytest.raises(NotFound), db.session() as session:
        retry_job_audited(session, job_id=theirs, now=NOW, scope=telenor, actor=agent)
    with pytest.raises(NotFound), db.session() as session:
        retry_job_audited(session, job_id=platform, now=NOW, scope=telenor, actor=agent)
    with db.session() as session:
        retry_job_audited(session, job_id=mine, now=NOW, scope=telenor, actor=agent)
    with db.read_session() as session:
        assert session.get(Job, theirs).status is JobStatus.dead  # type: ignore[union-attr]
        retried = events_for(session, subject_type="job", subject_id=mine)
        assert [e.action for e in retried] == ["job.retried"]
        assert retried[0].operator_id == telenor


def test_the_console_shows_and_retries_only_the_staff_members_operators_jobs(
    client: WebClient, runtime: Runtime
) -> None:
    db = runtime.db
    mine = _dead_job(db, _operator_id(db, "telenor-no"), "HSS timeout for the Telenor line")
    theirs = _dead_job(
        db, _operator_id(db, "telia-no"), "SMTP refused ola@telia-subscriber.example"
    )
    staff_sign_in(client, "supervisor@telenor-no.demo")
    page = client.get("/console/jobs")
    assert page.status_code == 200
    assert "HSS timeout for the Telenor line" in page.text
    assert "telia-subscriber" not in page.text
    assert str(theirs) not in page.text
    refused = client.submit("/console/jobs", f"/console/jobs/{theirs}/retry", {})
    assert refused.status_code == 404
    done = client.submit("/console/jobs", f"/console/jobs/{mine}/retry", {})
    assert done.status_code == 303
    with db.read_session() as session:
        assert session.get(Job, theirs).status is JobStatus.dead  # type: ignore[union-attr]
        assert session.get(Job, mine).status is JobStatus.queued  # type: ignore[union-attr]


def test_the_migration_gives_existing_jobs_the_operator_their_payload_names(
    runtime: Runtime,
) -> None:
    db = runtime.db
    telenor = _operator_id(db, "telenor-no")
    with db.read_session() as session:
        line_id = session.scalars(
            select(Line.id).where(Line.operator_id == telenor, Line.status == "active").limit(1)
        ).one()
    agent = Actor(
        ActorType.agent, "agent@telenor-no.demo", operator_id=telenor, role=StaffRole.agent
    )
    with db.session() as session:
        case_id = cases.open_case(
            session,
            runtime.cases,
            actor=agent,
            line_id=line_id,
            case_type=RequestType.terminate,
            channel=Channel.store,
            now=NOW,
        ).case.id
        job_id = enqueue(session, "cases.execute", now=NOW, case_id=str(case_id)).id
        scan_id = enqueue(session, "cases.scan_due", now=NOW).id
    seal_all(db)  # going below 0009 needs every audit event sealed
    config = migrate.alembic_config(db.url)
    with db.engine.begin() as connection:  # back to before the column (0008), and up again
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")  # before 0008, the jobs-operator migration
        command.upgrade(config, "head")
    with db.read_session() as session:
        backfilled, untouched = session.get(Job, job_id), session.get(Job, scan_id)
        assert backfilled is not None
        assert untouched is not None
        assert backfilled.operator_id == telenor
        assert untouched.operator_id is None
