"""Pages of information required and retention offers: the subscriber answers with a file in the
portal; offers come after the consequences, decline in one tap, and never stand in the way of a
cancellation; accepted ones are recorded with their effect and counted on the outcomes page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from simexit.cases.states import CaseStatus
from simexit.config import Settings
from simexit.db import Database
from simexit.i18n import translator
from simexit.models import Attachment, Case, InformationRequest, Line, Operator, RetentionAcceptance
from simexit.runtime import Runtime
from simexit.seed.demo import seed_demo
from simexit.web.app import create_web_app
from simexit.web.routes.portal.information import REFUSED
from tests.web.client import WebClient
from tests.web.conftest import sign_in, staff_sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def runtime(db: Database, tmp_path: Path) -> Runtime:
    rt = Runtime(
        Settings(
            database_url=db.url,
            secret_key="test-secret-key-for-the-web-tests-000",  # type: ignore[arg-type]
            attachment_dir=tmp_path / "files",
            attachment_max_bytes=4096,
        )
    )
    rt.__dict__["db"] = db
    with db.session() as session:
        seed_demo(
            session,
            packs=rt.packs,
            now=datetime.now(UTC),
            password_hash=rt.passwords.hash("demo-password"),
        )
    return rt


@pytest.fixture
def client(runtime: Runtime) -> Iterator[WebClient]:
    web = WebClient(create_web_app(runtime))
    yield web
    web.close()


def _line(runtime: Runtime, operator_code: str, **where: Any) -> Line:
    with runtime.db.read_session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        statement = select(Line).where(
            Line.operator_id == operator.id, Line.status == "active", Line.port_pending.is_(False)
        )
        for column, value in where.items():
            statement = statement.where(getattr(Line, column) == value)
        statement = statement.where(Line.unpaid_bills_minor == 0)
        found = session.scalars(statement.order_by(Line.msisdn)).first()
        assert found is not None
        return found


class TestOffers:
    def test_offers_come_after_the_consequences_and_decline_back_to_the_cancel_form(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no", plan="postpaid")
        sign_in(client, runtime, line.msisdn)
        page = client.get(f"/my/lines/{line.id}").text
        assert 'id="retention-offers"' in page
        assert page.index('id="cancel-form"') < page.index('id="retention-offers"')
        assert 'href="#cancel-form" class="decline"' in page
        assert 'name="offer" value="pause_instead"' in page

    def test_a_cancellation_submits_without_touching_the_offer(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no", plan="postpaid")
        sign_in(client, runtime, line.msisdn)
        response = client.submit(
            f"/my/lines/{line.id}",
            f"/my/lines/{line.id}/request",
            {"type": "terminate", "consent": "yes"},
        )
        assert response.status_code == 303, response.text
        with runtime.db.read_session() as session:
            case = session.scalars(select(Case).where(Case.line_id == line.id)).one()
            assert case.type == "terminate"
            assert session.scalars(select(RetentionAcceptance)).all() == []

    def test_a_cheaper_plan_is_recorded_for_the_operator_and_counted(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no", plan="postpaid")
        sign_in(client, runtime, line.msisdn)
        response = client.submit(
            f"/my/lines/{line.id}", f"/my/lines/{line.id}/offers/cheaper_plan", {}
        )
        assert response.status_code == 303, response.text
        assert "offer=passed_on" in response.headers["location"]
        with runtime.db.read_session() as session:
            accepted = session.scalars(select(RetentionAcceptance)).one()
            assert (accepted.effect, accepted.case_id) == ("operator_request", None)
            assert session.scalars(select(Case).where(Case.line_id == line.id)).all() == []
        staff = WebClient(create_web_app(runtime))
        try:
            staff_sign_in(staff, "agent@telenor-no.demo")
            outcomes = staff.get("/console/outcomes").text
            assert 'id="chart-offers"' in outcomes
            assert "offers,cheaper_plan" in staff.get("/console/outcomes.csv").text
        finally:
            staff.close()

    def test_a_pause_offer_opens_a_suspension_request(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no", plan="postpaid")
        sign_in(client, runtime, line.msisdn)
        until = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
        response = client.submit(
            f"/my/lines/{line.id}",
            f"/my/lines/{line.id}/request",
            {"type": "suspend", "offer": "pause_instead", "consent": "yes", "suspend_until": until},
        )
        assert response.status_code == 303, response.text
        with runtime.db.read_session() as session:
            case = session.scalars(select(Case).where(Case.line_id == line.id)).one()
            accepted = session.scalars(select(RetentionAcceptance)).one()
            assert case.type == "suspend"
            assert (accepted.effect, accepted.case_id) == ("suspension_case", case.id)


def _waiting_case(runtime: Runtime, line: Line) -> uuid.UUID:
    """A case of the line waiting for the subscriber (set directly: the flow is tested apart)."""
    now = datetime.now(UTC)
    with runtime.db.session() as session:
        case = Case(
            operator_id=line.operator_id, line_id=line.id, subscriber_id=line.subscriber_id,
            reference=f"T-{uuid.uuid4().hex[:8]}", type="terminate", channel="web",
            status=CaseStatus.information_required, created_at=now, status_changed_at=now,
            submitted_at=now, sla_due_date=now.date() + timedelta(days=3), language="en",
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            InformationRequest(
                operator_id=line.operator_id, case_id=case.id, kind="id_copy",
                message="A copy of your passport, please.", due_date=now.date() + timedelta(days=5),
                status="open", requested_at=now,
            )
        )  # fmt: skip
        return case.id


class TestUpload:
    def test_the_subscriber_uploads_a_picture_and_the_case_goes_back_to_review(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no")
        case_id = _waiting_case(runtime, line)
        sign_in(client, runtime, line.msisdn)
        page = client.get(f"/my/cases/{case_id}").text
        assert 'id="information-form"' in page
        assert "A copy of your passport, please." in page
        token = client.csrf(f"/my/cases/{case_id}")
        response = client.post(
            f"/my/cases/{case_id}/information",
            data={"csrf_token": token, "text": "Here it is."},
            files={"file": ("passport.png", PNG, "image/png")},
        )
        assert response.status_code == 303, response.text
        with runtime.db.read_session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            assert case.status is CaseStatus.in_review
            assert session.scalars(select(Attachment)).one().media_type == "image/png"

    def test_a_file_that_is_not_a_pdf_or_picture_is_refused_in_words(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no")
        case_id = _waiting_case(runtime, line)
        sign_in(client, runtime, line.msisdn)
        token = client.csrf(f"/my/cases/{case_id}")
        response = client.post(
            f"/my/cases/{case_id}/information",
            data={"csrf_token": token},
            files={"file": ("passport.pdf", b"MZ\x90\x00program", "application/pdf")},
        )
        assert response.status_code == 422
        language = (
            "zh_Hans" if 'lang="zh-Hans"' in response.text else response.text.split('lang="')[1][:2]
        )
        expected = translator(language, "web").gettext(REFUSED["file_type_not_allowed"])
        assert expected in response.text


class TestConsole:
    def test_an_agent_asks_and_the_timeline_is_in_the_operators_time_zone(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no")
        case_id = _waiting_case(runtime, line)
        with runtime.db.session() as session:
            case = session.get(Case, case_id)
            assert case is not None
            case.status = CaseStatus.in_review
            for asked in session.scalars(select(InformationRequest)):
                asked.status = "closed"
        staff_sign_in(client, "agent@telenor-no.demo")
        page = client.get(f"/console/cases/{case_id}").text
        assert 'id="ask-form"' in page
        due = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
        response = client.submit(
            f"/console/cases/{case_id}",
            f"/console/cases/{case_id}/information-request",
            {"kind": "corrected_name", "message": "How is your name spelt?", "due_date": due},
        )
        assert response.status_code == 303, response.text
        page = client.get(f"/console/cases/{case_id}").text
        assert "How is your name spelt?" in page
        assert re.search(r"\d{2}:\d{2} CES?T", page), "timeline times in Europe/Oslo"

    def test_a_file_opens_for_the_operators_staff_only(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = _line(runtime, "telenor-no")
        case_id = _waiting_case(runtime, line)
        sign_in(client, runtime, line.msisdn)
        token = client.csrf(f"/my/cases/{case_id}")
        client.post(
            f"/my/cases/{case_id}/information",
            data={"csrf_token": token},
            files={"file": ("passport.png", PNG, "image/png")},
        )
        with runtime.db.read_session() as session:
            file_id = session.scalars(select(Attachment.id)).one()
        url = f"/console/cases/{case_id}/files/{file_id}"
        own = WebClient(create_web_app(runtime))
        other = WebClient(create_web_app(runtime))
        try:
            staff_sign_in(own, "agent@telenor-no.demo")
            opened = own.get(url)
            assert opened.status_code == 200
            assert opened.content == PNG
            staff_sign_in(other, "agent@ice-no.demo")
            assert other.get(url).status_code == 404
        finally:
            own.close()
            other.close()
