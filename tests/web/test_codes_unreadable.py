"""One-time codes are never readable by staff (issue 14, finding 3).

The local sink keeps the message with a placeholder where the code goes, so `/console/messages`
shows no code; the code reaches the subscriber through a transport only, written in on the way.
With no transport (development, sandbox operators) the portal page shows the code to whoever
asked for it, since no one could deliver it; with a transport it does not."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from simexit.jobs import run_pending
from simexit.runtime import Runtime
from simexit.verification.codes import CODE_PLACEHOLDER
from simexit.web.app import create_web_app
from tests.web.client import WebClient, latest_code
from tests.web.conftest import CapturedSms, staff_sign_in, web_line


def _shows(code: str, text: str) -> bool:
    return re.search(rf"(?<!\d){code}(?!\d)", text) is not None


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_staff_reading_the_sink_see_no_code_the_subscriber_can_use(
    client: WebClient, runtime: Runtime, role: str
) -> None:
    line = web_line(runtime)
    assert client.submit("/login", "/login", {"identifier": line.msisdn}).status_code == 303
    run_pending(runtime.db, now=datetime.now(UTC), worker_id="w")  # the sink keeps it
    code = latest_code(runtime.db, line.msisdn)
    staff = WebClient(create_web_app(runtime))
    try:
        staff_sign_in(staff, f"{role}@ice-no.demo")
        page = staff.get("/console/messages?lang=en")
        assert page.status_code == 200
        assert line.msisdn in page.text
        assert CODE_PLACEHOLDER in page.text
        assert not _shows(code, page.text)
    finally:
        staff.close()
    # ... and it is the real code: the subscriber signs in with it.
    answer = client.submit("/login/code", "/login/code", {"code": code})
    assert answer.status_code == 303, answer.text


def test_with_no_transport_the_portal_shows_the_code_to_who_asked(
    client: WebClient, runtime: Runtime
) -> None:
    line = web_line(runtime)
    client.submit("/login", "/login", {"identifier": line.msisdn})
    page = client.get("/login/code?lang=en")
    assert "data-sink-code" in page.text
    assert _shows(latest_code(runtime.db, line.msisdn), page.text)


def test_with_a_transport_the_code_goes_out_whole_and_is_not_on_the_page(
    client: WebClient, runtime: Runtime, captured: CapturedSms
) -> None:
    line = web_line(runtime)
    client.submit("/login", "/login", {"identifier": line.msisdn})
    page = client.get("/login/code?lang=en")
    assert "data-sink-code" not in page.text
    code = latest_code(runtime.db, line.msisdn)
    assert not _shows(code, page.text)
    run_pending(runtime.db, now=datetime.now(UTC), worker_id="w")
    [sms] = captured.sent
    assert _shows(code, sms.text)
    assert CODE_PLACEHOLDER not in sms.text
    answer = client.submit("/login/code", "/login/code", {"code": code})
    assert answer.status_code == 303, answer.text
