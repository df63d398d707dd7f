"""The portal says what is true for the case's type and state (issue 17, item 4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from simexit.i18n import format_date
from simexit.models import Case, Line, Notification, Operator
from simexit.runtime import Runtime
from tests.web.client import WebClient, latest_code
from tests.web.conftest import sign_in


def find_line(runtime: Runtime, operator_code: str, **where: Any) -> Line:
    with runtime.db.read_session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        statement = select(Line).where(Line.operator_id == operator.id)
        for column, value in where.items():
            if column == "unpaid":  # any line with unpaid bills
                statement = statement.where(Line.unpaid_bills_minor > 0)
                continue
            statement = statement.where(getattr(Line, column) == value)
        found = session.scalars(statement.order_by(Line.msisdn)).first()
        assert found is not None, (operator_code, where)
        return found


def request_and_confirm(
    client: WebClient, runtime: Runtime, line: Line, data: dict[str, str]
) -> uuid.UUID:
    """Sign in, send the line page's form and confirm it with the code: the case's id."""
    sign_in(client, runtime, line.msisdn)
    response = client.submit(f"/my/lines/{line.id}", f"/my/lines/{line.id}/request", data)
    assert response.status_code == 303, response.text
    confirm_url = response.headers["location"]
    if "data-eid-offer" in client.get(confirm_url).text:  # MTS online: Gosuslugi (simulated)
        to_provider = client.get(confirm_url.replace("/confirm", "/eid"))
        response = client.get(to_provider.headers["location"])
    else:
        response = client.submit(
            confirm_url, confirm_url, {"code": latest_code(runtime.db, line.msisdn)}
        )
    assert response.status_code == 303, response.text
    return uuid.UUID(confirm_url.split("/")[3])


def case_row(runtime: Runtime, case_id: uuid.UUID) -> Case:
    with runtime.db.read_session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def kinds_sent(runtime: Runtime, case_id: uuid.UUID) -> list[str]:
    with runtime.db.read_session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.subject_id == str(case_id))
        ).all()
        return sorted({row.kind for row in rows})


TERMINATE = {"type": "terminate", "consent": "yes", "settlement": "refund"}


class TestPause:
    def test_a_pause_never_says_the_subscription_ends(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="postpaid", status="active")
        until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
        case_id = request_and_confirm(
            client,
            runtime,
            line,
            {"type": "suspend", "consent": "yes", "suspend_until": until},
        )
        assert case_row(runtime, case_id).type == "suspend"
        page = client.get(f"/my/cases/{case_id}?lang=en").text
        assert "Subscription ends" not in page
        assert "You lose the phone number" not in page
        assert "Pause ends" in page


class TestWithdrawn:
    def test_a_withdrawn_case_shows_no_consequences(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "ice-no", kind="data_only", status="active")
        case_id = request_and_confirm(client, runtime, line, TERMINATE)
        before = client.get(f"/my/cases/{case_id}?lang=en").text
        assert "What happens" in before  # the consequences are shown while it is open
        response = client.submit(f"/my/cases/{case_id}", f"/my/cases/{case_id}/withdraw", {})
        assert response.status_code == 303, response.text
        page = client.get(f"/my/cases/{case_id}?lang=en").text
        assert case_row(runtime, case_id).status == "withdrawn"
        assert "Subscription ends" not in page
        assert "Paid back to you" not in page
        assert "What happens" not in page


class TestReceivedAndApproved:
    def test_an_approved_case_gets_approved_alone(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "ice-no", kind="data_only", status="active")
        case_id = request_and_confirm(client, runtime, line, TERMINATE)
        status = case_row(runtime, case_id).status
        sent = kinds_sent(runtime, case_id)
        if status in {"approved", "executing"}:
            assert "case.approved" in sent
            assert "case.received" not in sent
        else:
            assert status == "in_review", status
            assert "case.received" in sent
            assert "case.approved" not in sent

    def test_received_gives_the_answer_date(self, client: WebClient, runtime: Runtime) -> None:
        """MTS sends every case to a person (an unconfirmed rule): "answer by" is the SLA date,
        by SMS (the Russian pack's confirmation channels are SMS and the state portal)."""
        line = find_line(runtime, "mts-ru", kind="physical_sim", plan="prepaid", status="active")
        case_id = request_and_confirm(
            client, runtime, line, {"type": "terminate", "consent": "yes"}
        )
        case = case_row(runtime, case_id)
        assert case.status == "in_review"
        assert case.sla_due_date is not None
        with runtime.db.read_session() as session:
            received = session.scalars(
                select(Notification).where(
                    Notification.subject_id == str(case_id),
                    Notification.kind == "case.received",
                )
            ).all()
        assert [row.channel for row in received] == ["sms"]
        assert format_date(case.sla_due_date, received[0].language) in received[0].body_text

    def test_a_case_in_review_does_not_say_it_ends_today(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "mts-ru", kind="physical_sim", plan="prepaid", status="active")
        case_id = request_and_confirm(
            client, runtime, line, {"type": "terminate", "consent": "yes"}
        )
        page = client.get(f"/my/cases/{case_id}?lang=en").text
        assert "When the request is approved (answer expected by" in page
        assert "Last day billed" not in page  # that is the approval day too, not known yet


class TestTimeline:
    @pytest.mark.parametrize(("operator", "zone"), [("ice-no", "CET"), ("mts-ru", "MSK")])
    def test_times_are_in_the_operators_zone(
        self, client: WebClient, runtime: Runtime, operator: str, zone: str
    ) -> None:
        line = find_line(runtime, operator, kind="physical_sim", plan="prepaid", status="active")
        case_id = request_and_confirm(
            client, runtime, line, {"type": "terminate", "consent": "yes"}
        )
        page = client.get(f"/my/cases/{case_id}?lang=en").text
        assert f" {zone}</time>" in page
        assert " UTC</time>" not in page
