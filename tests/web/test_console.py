"""The agent console: login, queue, buttons from available_triggers ∩ role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from simexit.cases.states import CaseStatus, available_triggers
from simexit.models import Case
from simexit.principals import StaffRole
from simexit.runtime import Runtime
from simexit.web.routes.console import ROLE_TRIGGERS, permitted_actions
from tests.web.client import WebClient, latest_code
from tests.web.conftest import sign_in, staff_sign_in, web_line


def _submit_case(client: WebClient, runtime: Runtime, operator: str = "ice-no") -> Case:
    line = web_line(runtime, operator)
    sign_in(client, runtime, line.msisdn)
    response = client.submit(
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "comment": "<b>hi</b>"},
    )
    confirm = response.headers["location"]
    client.submit(confirm, confirm, {"code": latest_code(runtime.db, line.msisdn)})
    with runtime.db.read_session() as session:
        return session.scalars(select(Case).where(Case.line_id == line.id)).one()


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("role", list(StaffRole))
def test_actions_are_triggers_and_role(status: CaseStatus, role: StaffRole) -> None:
    actions = set(permitted_actions(status, role))
    assert actions <= available_triggers(status) & ROLE_TRIGGERS[role]


class TestLogin:
    def test_console_needs_login(self, client: WebClient) -> None:
        assert client.get("/console").status_code == 303


class TestReview:
    def test_agent_sees_case_in_queue_and_approves_it(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        case = _submit_case(client, runtime)
        assert case.status == "in_review"
        staff_sign_in(client, "agent@ice-no.demo")
        queue = client.get("/console").text
        assert case.reference in queue
        detail = client.get(f"/console/cases/{case.id}").text
        assert "&lt;b&gt;hi&lt;/b&gt;" in detail
        buttons = set(re.findall(r'name="do" value="(\w+)"', detail))
        assert buttons == {
            t.value for t in permitted_actions(CaseStatus.in_review, StaffRole.agent)
        }
        assert "retry" not in buttons
        response = client.submit(
            f"/console/cases/{case.id}", f"/console/cases/{case.id}/approve", {"note": "ok"}
        )
        assert response.status_code == 303
        with runtime.db.read_session() as session:
            assert session.get(Case, case.id).status in {"approved", "executing"}  # type: ignore[union-attr]

    def test_reject_note_is_escaped_and_refused_action_is_403(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        case = _submit_case(client, runtime)
        staff_sign_in(client, "agent@ice-no.demo")
        assert (
            client.submit(
                f"/console/cases/{case.id}", f"/console/cases/{case.id}/retry", {}
            ).status_code
            == 403
        )
        response = client.submit(
            f"/console/cases/{case.id}",
            f"/console/cases/{case.id}/reject",
            {"reason": "other", "note": "<script>x()</script>"},
        )
        assert response.status_code == 303
        page = client.get(f"/console/cases/{case.id}").text
        assert "&lt;script&gt;x()&lt;/script&gt;" in page
        assert "<script>x()" not in page

    def test_other_operators_case_is_not_found(self, client: WebClient, runtime: Runtime) -> None:
        case = _submit_case(client, runtime)
        staff_sign_in(client, "agent@telia-no.demo")
        assert client.get(f"/console/cases/{case.id}").status_code == 404
