"""A subscriber asks in the portal for their personal data to be erased (issue 14, finding 6)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

import simexit.privacy.tasks  # noqa: F401 - registers the erasure job
from simexit.jobs import run_pending
from simexit.lines.states import LineStatus
from simexit.models import AuditEvent, ErasureRequest, Line, Subscriber
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import sign_in, web_line


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
