"""Opening a request for a caller from the console: the line, the channel, the identity check
and the consent read out, then the same case service as the API with an agent's channel."""

from __future__ import annotations

import re

from sqlalchemy import select

from simexit.audit.service import events_for
from simexit.models import Case, Line, Verification
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in, web_line

AGENT = "agent@ice-no.demo"


def _cases_of(runtime: Runtime, line: Line) -> list[Case]:
    with runtime.db.read_session() as session:
        return list(session.scalars(select(Case).where(Case.line_id == line.id)))


def _form(client: WebClient, line: Line, **values: str) -> dict[str, str]:
    page = client.get(f"/console/open?number={line.msisdn}&lang=en").text
    data = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),  # type: ignore[union-attr]
        "line_id": str(line.id),
        "number": line.msisdn,
        "channel": "phone",
        "method": "id_document",
        "document_last4": "1234",
        "reason": "moving_abroad",
        "consent_read": "yes",
    }
    if 'name="settlement"' in page:
        data["settlement"] = re.search(
            r'name="settlement" required><option value="">[^<]*</option><option value="([a-z]+)"',
            page,
        ).group(1)  # type: ignore[union-attr]
    data.update(values)
    return data


class TestOpenForACaller:
    def test_finds_the_line_and_shows_what_happens_and_what_to_read_out(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        staff_sign_in(client, AGENT)
        page = client.get(f"/console/open?number={line.msisdn}&lang=en").text
        assert "What happens" in page
        assert "Read this out to the caller" in page
        assert f"what happens to {line.msisdn}" in page
        assert f'value="{line.id}"' in page
        missing = client.get("/console/open?number=%2B4799999999&lang=en").text
        assert "No line of this operator has that number." in missing
        assert "/console/open" in client.get("/console?lang=en").text

    def test_opens_checks_and_submits_with_the_channel_method_and_consent(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        staff_sign_in(client, AGENT)
        response = client.post("/console/open", data=_form(client, line, channel="store"))
        assert response.status_code == 303, response.text
        (case,) = _cases_of(runtime, line)
        assert response.headers["location"] == f"/console/cases/{case.id}"
        assert case.channel == "store"
        assert case.status not in {"draft", "awaiting_verification"}
        assert case.reason_code == "moving_abroad"
        assert case.consent_text is not None
        assert case.consent_text.startswith("Read out to the caller by ")
        assert case.consented_at is not None
        with runtime.db.read_session() as session:
            (check,) = session.scalars(
                select(Verification).where(Verification.case_id == case.id)
            ).all()
            actions = [
                e.action for e in events_for(session, subject_type="case", subject_id=case.id)
            ]
        assert check.method == "id_document"
        assert check.status == "passed"
        assert check.evidence["document_last4"] == "1234"
        assert check.verified_by == f"agent:{AGENT}"
        # The same calls, in the same order, as an integrator's channel=agent flow.
        assert actions[:4] == [
            "case.opened",
            "case.start_verification",
            "verification.attested",
            "case.submit",
        ]

    def test_nothing_is_opened_unless_the_consent_was_read_out_and_identity_checked(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        staff_sign_in(client, AGENT)
        unread = client.post("/console/open?lang=en", data=_form(client, line, consent_read=""))
        assert unread.status_code == 400
        assert "read the consequences out to the caller" in unread.text
        unchecked = client.post("/console/open?lang=en", data=_form(client, line, method="sms_otp"))
        assert unchecked.status_code == 400
        assert "checked the caller" in unchecked.text
        web = client.post("/console/open?lang=en", data=_form(client, line, channel="web"))
        assert web.status_code == 400
        assert _cases_of(runtime, line) == []

    def test_a_line_of_another_operator_is_not_found(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime, "telia-no")
        staff_sign_in(client, AGENT)
        assert (
            "No line of this operator"
            in client.get(f"/console/open?number={line.msisdn}&lang=en").text
        )
        page = client.get("/console/open?lang=en").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        response = client.post(
            "/console/open?lang=en",
            data={
                "csrf_token": token.group(1),
                "line_id": str(line.id),
                "channel": "phone",
                "method": "id_document",
                "consent_read": "yes",
            },
        )
        assert response.status_code == 400
        assert "No line of this operator has that number." in response.text
        assert _cases_of(runtime, line) == []
