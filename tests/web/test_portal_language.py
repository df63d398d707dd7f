"""One language per person (issue 17, item 3)."""

from __future__ import annotations

from sqlalchemy import select

from simexit.models import AuditEvent, Line, Subscriber
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import sign_in
from tests.web.test_portal_messages import case_row, find_line, request_and_confirm

CONSENT_REFUSED_RU = "Отметьте поле, чтобы подтвердить, что вы ознакомились с последствиями."


def account(runtime: Runtime, line: Line) -> Subscriber:
    with runtime.db.read_session() as session:
        found = session.get(Subscriber, line.subscriber_id)
        assert found is not None
        return found


def with_account_language(runtime: Runtime, line: Line, language: str) -> None:
    with runtime.db.session() as session:
        subscriber = session.get(Subscriber, line.subscriber_id)
        assert subscriber is not None
        subscriber.language = language


class TestSignIn:
    def test_a_chinese_browser_stays_chinese_after_sign_in(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
        with_account_language(runtime, line, "nb")
        client._client.headers["accept-language"] = "zh-CN,zh;q=0.9,en;q=0.5"
        assert 'lang="zh-Hans"' in client.get("/login").text
        sign_in(client, runtime, line.msisdn)
        for url in ["/my", f"/my/lines/{line.id}"]:
            assert 'lang="zh-Hans"' in client.get(url).text, url
        assert account(runtime, line).language == "zh_Hans"  # messages follow it
        with runtime.db.read_session() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == str(line.subscriber_id))
            ).all()
        assert "subscriber.language_changed" in actions

    def test_a_browser_we_do_not_speak_keeps_the_accounts_language(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
        with_account_language(runtime, line, "nb")
        client._client.headers["accept-language"] = "de-DE"
        sign_in(client, runtime, line.msisdn)
        assert 'lang="nb"' in client.get("/my").text
        assert account(runtime, line).language == "nb"


class TestSwitcher:
    def test_a_choice_sticks_over_the_account_and_updates_it(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
        with_account_language(runtime, line, "nb")
        client._client.headers["accept-language"] = "de-DE"
        sign_in(client, runtime, line.msisdn)
        assert 'lang="ru"' in client.get("/my?lang=ru").text
        assert 'lang="ru"' in client.get(f"/my/lines/{line.id}").text  # the cookie keeps it
        assert account(runtime, line).language == "ru"

    def test_a_refused_form_speaks_the_pages_language(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        """The account says ru, the browser says en: page and refusal are both Russian."""
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
        with_account_language(runtime, line, "ru")
        client._client.headers["accept-language"] = "de-DE"
        sign_in(client, runtime, line.msisdn)
        client._client.headers["accept-language"] = "en-US"
        page = client.get(f"/my/lines/{line.id}")
        assert 'lang="ru"' in page.text
        refused = client.submit(
            f"/my/lines/{line.id}", f"/my/lines/{line.id}/request", {"type": "terminate"}
        )
        assert refused.status_code == 400
        assert 'lang="ru"' in refused.text
        assert CONSENT_REFUSED_RU in refused.text


class TestMessages:
    def test_an_open_cases_next_messages_follow_a_switch(
        self, client: WebClient, runtime: Runtime
    ) -> None:
        line = find_line(runtime, "mts-ru", kind="physical_sim", plan="prepaid", status="active")
        with_account_language(runtime, line, "ru")
        client._client.headers["accept-language"] = "de-DE"
        case_id = request_and_confirm(
            client, runtime, line, {"type": "terminate", "consent": "yes"}
        )
        assert case_row(runtime, case_id).language == "ru"
        client.get("/my?lang=zh_Hans")
        assert case_row(runtime, case_id).language == "zh_Hans"
