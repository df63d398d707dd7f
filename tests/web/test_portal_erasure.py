"""A subscriber asks in the portal for their personal data to be erased (issue 14, finding 6)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

import simexit.privacy.tasks  # noqa: F401 - registers the erasure job
from simexit.jobs import run_pending
from simexit.lines.states import LineStatus
from simexit.models import AuditEvent, Case, ErasureRequest, Line, Subscriber
from simexit.runtime import Runtime
from simexit.web.app import create_web_app
from tests.web.client import WebClient
from tests.web.conftest import sign_in, staff_sign_in, web_line
from tests.web.test_console_work import _submit_case


def test_with_a_line_still_running_the_request_is_refused(
    client: WebClient, runtime: Runtime
) -> None:
    line = web_line(runtime)
    sign_in(client, runtime, line.msisdn)
    answer = client.submit("/my?lang=en", "/my/erasure", {})
    assert answer.status_code == 409
    assert "still running" in answer.text
    with runtime.db.read_session() as session:
        assert session.scalars(select(ErasureRequest)).first() is None


def test_once_the_lines_ended_the_request_names_its_deadline_and_is_carried_out(
    client: WebClient, runtime: Runtime
) -> None:
    line = web_line(runtime)
    sign_in(client, runtime, line.msisdn)
    with runtime.db.session() as session:
        session.execute(
            update(Line)
            .where(Line.subscriber_id == line.subscriber_id)
            .values(status=LineStatus.terminated, terminated_on=datetime.now(UTC).date())
        )
    answer = client.submit("/my?lang=en", "/my/erasure?lang=en", {})
    assert answer.status_code == 200, answer.text
    assert "at the latest" in answer.text
    run_pending(runtime.db, now=datetime.now(UTC), worker_id="w")
    with runtime.db.read_session() as session:
        [request] = session.scalars(select(ErasureRequest)).all()
        assert request.status == "done"
        assert request.due_on is not None
        subscriber = session.get(Subscriber, line.subscriber_id)
        assert subscriber is not None
        assert subscriber.erased_at is not None
        actions = set(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == str(subscriber.id))
            )
        )
        assert {"erasure.requested", "subscriber.erased"} <= actions


def _case_of_ended_line(client: WebClient, runtime: Runtime, *, end: bool) -> Case:
    case = _submit_case(client, runtime)
    if end:
        with runtime.db.session() as session:
            session.execute(
                update(Line)
                .where(Line.subscriber_id == case.subscriber_id)
                .values(status=LineStatus.terminated, terminated_on=datetime.now(UTC).date())
            )
    return case


def test_an_agent_records_the_subscribers_request_on_the_case_page(
    client: WebClient, runtime: Runtime
) -> None:
    case = _case_of_ended_line(client, runtime, end=True)
    staff = WebClient(create_web_app(runtime))
    try:
        staff_sign_in(staff, "agent@ice-no.demo")
        page = f"/console/cases/{case.id}?lang=en"
        assert "asks for their personal data to be erased" in staff.get(page).text
        answer = staff.submit(page, f"/console/erasure/{case.id}", {})
        assert answer.status_code == 303, answer.text
        assert "to be done by" in staff.get(page).text
        with runtime.db.read_session() as session:
            [request] = session.scalars(select(ErasureRequest)).all()
            assert request.requested_by == "agent:agent@ice-no.demo"
        run_pending(runtime.db, now=datetime.now(UTC), worker_id="w")
        assert "was erased on" in staff.get(page).text
    finally:
        staff.close()


def test_an_agent_cannot_ask_while_a_line_runs_nor_for_another_operator(
    client: WebClient, runtime: Runtime
) -> None:
    case = _case_of_ended_line(client, runtime, end=False)
    staff = WebClient(create_web_app(runtime))
    try:
        staff_sign_in(staff, "agent@ice-no.demo")
        page = f"/console/cases/{case.id}?lang=en"
        refused = staff.submit(page, f"/console/erasure/{case.id}", {})
        assert refused.status_code == 409
        assert "still runs" in refused.text
        staff.close()
        staff = WebClient(create_web_app(runtime))
        staff_sign_in(staff, "agent@telia-no.demo")
        other = staff.submit("/console", f"/console/erasure/{case.id}", {})
        assert other.status_code == 404
        with runtime.db.read_session() as session:
            assert session.scalars(select(ErasureRequest)).first() is None
    finally:
        staff.close()
