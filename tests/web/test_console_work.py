"""Console work beyond approve/reject: SIM returns, readable findings, SLA, resubmit, audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from simexit.audit.service import events_for
from simexit.models import Case, Line
from simexit.runtime import Runtime
from tests.web.client import WebClient, latest_code
from tests.web.conftest import sign_in, staff_sign_in, web_line


def _submit_case(client: WebClient, runtime: Runtime, operator: str = "ice-no") -> Case:
    line = web_line(runtime, operator)
    sign_in(client, runtime, line.msisdn)
    response = client.submit(
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "reason": "moving_abroad"},
    )
    confirm = response.headers["location"]
    client.submit(confirm, confirm, {"code": latest_code(runtime.db, line.msisdn)})
    with runtime.db.read_session() as session:
        return session.scalars(select(Case).where(Case.line_id == line.id)).one()


def _reject(client: WebClient, case: Case, reason: str, note: str) -> None:
    staff_sign_in(client, "agent@ice-no.demo")
    response = client.submit(
        f"/console/cases/{case.id}",
        f"/console/cases/{case.id}/reject",
        {"reason": reason, "note": note},
    )
    assert response.status_code == 303, response.text


class TestSimReturns:
    def _awaiting_line(self, runtime: Runtime) -> Line:
        line = web_line(runtime)
        with runtime.db.session() as session:
            row = session.get(Line, line.id)
            assert row is not None
            row.sim_return_required, row.sim_returned_at = True, None
            row.terminated_on = datetime.now(UTC).date() - timedelta(days=3)
        return line

    def test_agent_records_a_returned_sim_and_it_leaves_the_list(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = self._awaiting_line(runtime)
        staff_sign_in(client, "agent@ice-no.demo")
        page = client.get("/console/sim-returns?lang=en").text
        assert line.msisdn in page
        assert f"/console/sim-returns/{line.id}" in page
        response = client.submit(
            "/console/sim-returns", f"/console/sim-returns/{line.id}", {"note": "came by post"}
        )
        assert response.status_code == 303
        after = client.follow(response).text
        assert "is recorded as received" in after
        assert f"/console/sim-returns/{line.id}" not in after
        with runtime.db.read_session() as session:
            row = session.get(Line, line.id)
            assert row is not None
            assert row.sim_returned_at is not None
            events = [
                e
                for e in events_for(session, subject_type="line", subject_id=line.id)
                if e.action == "line.sim_returned"
            ]
        assert len(events) == 1
        assert events[0].actor_id == "agent@ice-no.demo"
        assert events[0].note == "came by post"

    def test_needs_csrf_and_the_operator_of_the_line(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = self._awaiting_line(runtime)
        staff_sign_in(client, "agent@telia-no.demo")
        assert client.post(f"/console/sim-returns/{line.id}", data={}).status_code == 403
        response = client.submit("/console/sim-returns", f"/console/sim-returns/{line.id}", {})
        assert response.status_code == 404
        with runtime.db.read_session() as session:
            row = session.get(Line, line.id)
            assert row is not None
            assert row.sim_returned_at is None


class TestCasePage:
    def test_reasons_sla_and_trail_are_words(self, client: WebClient, runtime: Runtime) -> None:
        case = _submit_case(client, runtime)
        assert case.status == "in_review"
        assert case.review_reasons
        with runtime.db.session() as session:
            row = session.get(Case, case.id)
            assert row is not None
            row.sla_due_date = datetime.now(UTC).date() - timedelta(days=2)
        staff_sign_in(client, "agent@ice-no.demo")
        page = client.get(f"/console/cases/{case.id}?lang=en").text
        assert "Why a person must look at this case" in page
        assert "Overdue" in page
        assert "Moving abroad" in page
        assert "Website" in page
        assert "Request opened" in page
        assert "Subscriber" in page
        assert "Overdue" in client.get("/console?lang=en").text
        ru = client.get(f"/console/cases/{case.id}?lang=ru").text
        assert "Просрочено" in ru

    def test_amounts_and_dates_follow_the_language(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        case = _submit_case(client, runtime)
        staff_sign_in(client, "agent@ice-no.demo")
        assert case.effective_date is not None
        for language in ("en", "nb", "ru", "zh_Hans"):
            from simexit.i18n import format_date

            page = client.get(f"/console/cases/{case.id}?lang={language}").text
            assert format_date(case.effective_date, language) in page, language


class TestResubmit:
    def test_subscriber_sees_the_reason_and_sends_a_new_request(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        case = _submit_case(client, runtime)
        _reject(client, case, "unpaid_bills", "Please pay the May bill first.")
        line = web_line(runtime)
        sign_in(client, runtime, line.msisdn)
        page = client.get(f"/my/cases/{case.id}?lang=nb").text
        assert "Ubetalte regninger" in page
        assert "Please pay the May bill first." in page
        assert 'id="resubmit-form"' in page
        response = client.submit(
            f"/my/cases/{case.id}", f"/my/cases/{case.id}/resubmit", {"comment": "Paid now."}
        )
        assert response.status_code == 303
        assert response.headers["location"].endswith("/confirm")
        with runtime.db.read_session() as session:
            fresh = session.scalars(select(Case).where(Case.parent_case_id == case.id)).one()
        assert fresh.status == "awaiting_verification"
        assert fresh.comment == "Paid now."
        assert str(fresh.id) in response.headers["location"]
        again = client.get(f"/my/cases/{case.id}?lang=en").text
        assert 'id="resubmit-form"' not in again
        assert fresh.reference in again

    def test_no_resubmit_while_the_case_is_open(self, client: WebClient, runtime: Runtime) -> None:
        case = _submit_case(client, runtime)
        assert 'id="resubmit-form"' not in client.get(f"/my/cases/{case.id}").text
        response = client.submit(f"/my/cases/{case.id}", f"/my/cases/{case.id}/resubmit", {})
        assert response.status_code == 409

    def test_agent_resubmits_attests_and_sends(self, client: WebClient, runtime: Runtime) -> None:
        case = _submit_case(client, runtime)
        _reject(client, case, "identity_not_confirmed", "Call us.")
        page = client.get(f"/console/cases/{case.id}?lang=en").text
        assert "Identity could not be confirmed" in page
        assert 'value="resubmit"' in page
        response = client.submit(
            f"/console/cases/{case.id}",
            f"/console/cases/{case.id}/resubmit",
            {"note": "Subscriber called back."},
        )
        assert response.status_code == 303
        with runtime.db.read_session() as session:
            fresh = session.scalars(select(Case).where(Case.parent_case_id == case.id)).one()
        assert response.headers["location"] == f"/console/cases/{fresh.id}"
        page = client.get(f"/console/cases/{fresh.id}?lang=en").text
        assert 'value="submit"' not in page  # identity first
        response = client.submit(
            f"/console/cases/{fresh.id}",
            f"/console/cases/{fresh.id}/attest",
            {"method": "id_document", "document_last4": "1234"},
        )
        assert response.status_code == 303, response.text
        page = client.get(f"/console/cases/{fresh.id}?lang=en").text
        assert 'value="submit"' in page
        response = client.submit(
            f"/console/cases/{fresh.id}", f"/console/cases/{fresh.id}/submit", {}
        )
        assert response.status_code == 303, response.text
        with runtime.db.read_session() as session:
            row = session.get(Case, fresh.id)
        assert row is not None
        assert row.status in {"in_review", "approved", "executing", "blocked"}
        assert 'value="resubmit"' not in client.get(f"/console/cases/{case.id}").text


TOKEN = re.compile(r"\b[a-z]+_[a-z_]+\b")


def test_no_codes_in_visible_text(client: WebClient, runtime: Runtime) -> None:
    """Rendered text (not attributes) never shows a known code such as `unpaid_bills`."""
    from html.parser import HTMLParser

    from simexit.cases.service.review import REJECTION_REASONS
    from simexit.web import texts

    known: set[str] = set(REJECTION_REASONS)
    for table in (
        texts.STATUS,
        texts.LINE_STATUS,
        texts.CASE_TYPE,
        texts.CHANNEL,
        texts.METHOD,
        texts.REASONS,
        texts.REJECTION,
        texts.FINDINGS,
        texts.CHARGES,
        texts.VERIFICATION_STATUS,
        texts.LINE_KIND,
    ):
        known |= set(table)
    known |= {code.split(".", 1)[1] for code in texts.AUDIT}
    known = {code for code in known if "_" in code}

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    def visible(html: str) -> str:
        parser = Text()
        parser.feed(html)
        return " ".join(parser.parts)

    case = _submit_case(client, runtime)
    subscriber_pages = [f"/my/cases/{case.id}", "/my", f"/my/lines/{case.line_id}"]
    _reject(client, case, "policy_not_met", "")
    staff_pages = [f"/console/cases/{case.id}", "/console", "/console/messages", "/console/jobs"]
    for language in ("en", "nb", "ru", "zh_Hans"):
        for url in staff_pages:
            found = set(TOKEN.findall(visible(client.get(f"{url}?lang={language}").text)))
            assert found & known == set(), (url, language)
    line = web_line(runtime)
    sign_in(client, runtime, line.msisdn)
    for language in ("en", "nb", "ru", "zh_Hans"):
        for url in subscriber_pages:
            found = set(TOKEN.findall(visible(client.get(f"{url}?lang={language}").text)))
            assert found & known == set(), (url, language)


class TestHtmx:
    def test_queue_filter_returns_only_the_table(self, client: WebClient, runtime: Runtime) -> None:
        case = _submit_case(client, runtime)
        staff_sign_in(client, "agent@ice-no.demo")
        full = client.get("/console?status=in_review")
        assert "<html" in full.text
        assert 'hx-get="/console"' in full.text
        part = client.get("/console?status=in_review", headers={"HX-Request": "true"})
        assert part.status_code == 200
        assert "<html" not in part.text
        assert 'id="queue-table"' in part.text
        assert case.reference in part.text
        other = client.get("/console?status=failed", headers={"HX-Request": "true"}).text
        assert case.reference not in other

    def test_decisions_answer_htmx_with_a_redirect_header_and_errors_with_200(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        case = _submit_case(client, runtime)
        staff_sign_in(client, "agent@ice-no.demo")
        url = f"/console/cases/{case.id}"
        bad = client.post(
            f"{url}/reject",
            data={"csrf_token": client.csrf(url), "reason": "nonsense"},
            headers={"HX-Request": "true"},
        )
        assert bad.status_code == 200
        assert 'class="notice error"' in bad.text
        good = client.post(
            f"{url}/approve",
            data={"csrf_token": client.csrf(url)},
            headers={"HX-Request": "true"},
        )
        assert good.status_code == 200
        # Nothing else waits, so the agent goes back to the queue, which says what was decided.
        assert good.headers["hx-redirect"] == f"/console?decided={case.id}"
        assert "location" not in good.headers
        with runtime.db.read_session() as session:
            row = session.get(Case, case.id)
        assert row is not None
        assert row.status in {"approved", "executing"}


def test_russian_sentence_ending_in_a_date_has_one_full_stop() -> None:
    from simexit.web.i18n import Texts

    text = Texts("ru")(
        "Reactivation was possible until {deadline}.", deadline=Texts("ru").date("2026-11-23")
    )
    assert text.endswith("г.")
    assert not text.endswith("..")
