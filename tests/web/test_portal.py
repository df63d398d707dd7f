"""The subscriber portal: login without revealing numbers, CSRF, escaping, the cancel flow."""

from __future__ import annotations

from sqlalchemy import select

from simexit.models import Case, LoginChallenge, Notification, Verification
from simexit.runtime import Runtime
from tests.web.client import WebClient, latest_code
from tests.web.conftest import CapturedSms, sign_in, web_line


class TestLogin:
    def test_known_and_unknown_numbers_get_the_same_answer(
        self, client: WebClient, runtime: Runtime, captured: CapturedSms
    ) -> None:
        """With a transport, as in production. (With only the local sink, of development and
        sandbox operators, the page shows a known number's code: there, it tells them apart.)"""
        line = web_line(runtime)
        known = client.submit("/login", "/login", {"identifier": line.msisdn})
        known_page = client.follow(known)
        unknown = client.submit("/login", "/login", {"identifier": "+4799999999"})
        unknown_page = client.follow(unknown)
        assert known.status_code == unknown.status_code == 303
        assert known.headers["location"] == unknown.headers["location"]

        def strip(text: str) -> str:
            return text.replace(line.msisdn, "").split('name="csrf_token"')[0]

        assert strip(known_page.text) == strip(unknown_page.text)
        with runtime.db.read_session() as session:
            assert session.scalar(select(LoginChallenge).limit(1)) is not None
            sent = list(
                session.scalars(
                    select(Notification).where(Notification.kind == "verification.code")
                )
            )
        assert [n.recipient for n in sent] == [line.msisdn]

    def test_wrong_code_counts_down_for_unknown_numbers_too(self, client: WebClient) -> None:
        client.submit("/login", "/login", {"identifier": "+4799999999"})
        response = client.submit("/login/code", "/login/code", {"code": "000000"})
        assert response.status_code == 400
        assert "4" in response.text

    def test_login_with_code_shows_own_lines_only(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        sign_in(client, runtime, line.msisdn)
        page = client.get("/my")
        assert line.msisdn in page.text
        assert line.iccid is not None
        assert line.iccid in page.text
        other = web_line(runtime, "att-us")
        assert client.get(f"/my/lines/{other.id}").status_code == 404

    def test_requests_are_throttled_per_number(self, client: WebClient) -> None:
        statuses = [
            client.submit("/login", "/login", {"identifier": "+4799999998"}).status_code
            for _ in range(6)
        ]
        assert statuses[:5] == [303] * 5
        assert statuses[5] == 429


class TestCancel:
    def test_three_pages_to_a_submitted_case_with_identity_recorded(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        sign_in(client, runtime, line.msisdn)
        lines_page = client.get("/my")
        assert f"/my/lines/{line.id}" in lines_page.text
        response = client.submit(
            f"/my/lines/{line.id}",
            f"/my/lines/{line.id}/request",
            {
                "type": "terminate",
                "consent": "yes",
                "settlement": "refund",
                "reason": "moving_abroad",
                "comment": "<script>alert(1)</script>",
            },
        )
        assert response.status_code == 303
        confirm_url = response.headers["location"]
        response = client.submit(
            confirm_url, confirm_url, {"code": latest_code(runtime.db, line.msisdn)}
        )
        assert response.status_code == 303
        status = client.follow(response)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in status.text
        assert "<script>alert(1)" not in status.text
        with runtime.db.read_session() as session:
            case = session.scalars(select(Case).where(Case.line_id == line.id)).one()
            verification = session.scalars(
                select(Verification).where(Verification.case_id == case.id)
            ).one()
        assert case.status in {"in_review", "approved", "executing", "blocked"}
        assert case.channel == "web"
        assert case.consent_text
        assert verification.method == "sms_otp"
        assert verification.status == "passed"

    def test_consent_is_required(self, client: WebClient, runtime: Runtime) -> None:
        line = web_line(runtime)
        sign_in(client, runtime, line.msisdn)
        response = client.submit(
            f"/my/lines/{line.id}", f"/my/lines/{line.id}/request", {"type": "terminate"}
        )
        assert response.status_code == 400

    def test_alternatives_keep_the_cancel_button(self, client: WebClient, runtime: Runtime) -> None:
        line = web_line(runtime)
        sign_in(client, runtime, line.msisdn)
        page = client.get(f"/my/lines/{line.id}").text
        assert 'id="cancel-form"' in page
        assert page.index('id="cancel-form"') < page.index('id="alternatives"')


class TestCsrf:
    def test_every_form_refuses_a_missing_or_wrong_token(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = web_line(runtime)
        sign_in(client, runtime, line.msisdn)
        case_url = "/my/cases/00000000-0000-0000-0000-000000000000"
        posts = [
            "/login",
            "/login/code",
            "/logout",
            f"/my/lines/{line.id}/request",
            f"{case_url}/confirm",
            f"{case_url}/resend",
            f"{case_url}/withdraw",
            "/console/login",
            "/console/logout",
            f"/console/cases/{line.id}/approve",
            "/console/jobs/00000000-0000-0000-0000-000000000000/retry",
        ]
        for url in posts:
            assert client.post(url, data={}).status_code == 403, url
            assert client.post(url, data={"csrf_token": "forged"}).status_code == 403, url

    def test_security_headers(self, client: WebClient) -> None:
        response = client.get("/guides")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
