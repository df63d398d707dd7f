"""The portal sends and checks codes under the same limits as the API (one limiter, one count).

Before, "send me a new code" had no limit: 12 posts gave 12 codes and 12 SMS, each with fresh
tries. Now the sixth code for a line within the hour is a 429 page that says when to come back,
in words and in `Retry-After`, and no code goes out.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from simexit.models import Case, Notification, Verification
from simexit.runtime import Runtime
from simexit.verification.throttle import CodeLimits, count_code_send
from tests.web.client import WebClient
from tests.web.conftest import sign_in, web_line


def _open_case(client: WebClient, runtime: Runtime) -> tuple[str, uuid.UUID]:
    line = web_line(runtime)
    sign_in(client, runtime, line.msisdn)
    response = client.submit(
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "settlement": "refund"},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"], line.id


def _codes_sent(runtime: Runtime, line_id: uuid.UUID) -> int:
    with runtime.db.read_session() as session:
        case_ids = select(Case.id).where(Case.line_id == line_id).scalar_subquery()
        return int(
            session.scalar(
                select(func.count())
                .select_from(Verification)
                .where(Verification.case_id.in_(case_ids))
            )
            or 0
        )


def _code_messages(runtime: Runtime) -> int:
    with runtime.db.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.kind == "verification.code")
            )
            or 0
        )


def test_resending_stops_at_the_line_limit_with_retry_after(
    client: WebClient, runtime: Runtime
) -> None:
    confirm_url, line_id = _open_case(client, runtime)
    resend_url = confirm_url.removesuffix("/confirm") + "/resend"
    per_line = CodeLimits().start_per_line.hits
    statuses = [client.submit(confirm_url, resend_url, {}).status_code for _ in range(12)]
    # The opening sent the first code; resends fill the hour's allowance, then each is refused.
    assert statuses == [303] * (per_line - 1) + [429] * (12 - per_line + 1)
    assert _codes_sent(runtime, line_id) == per_line
    refused = client.submit(confirm_url, resend_url, {})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert "Too many codes" in refused.text or "For mange koder" in refused.text
    assert "minut" in refused.text


def test_messages_stop_with_the_codes(client: WebClient, runtime: Runtime) -> None:
    confirm_url, _line_id = _open_case(client, runtime)
    resend_url = confirm_url.removesuffix("/confirm") + "/resend"
    before = _code_messages(runtime)
    for _ in range(10):
        client.submit(confirm_url, resend_url, {})
    assert _code_messages(runtime) - before == CodeLimits().start_per_line.hits - 1


def test_codes_the_api_sent_count_against_the_portal(client: WebClient, runtime: Runtime) -> None:
    confirm_url, line_id = _open_case(client, runtime)
    limits = CodeLimits()
    with runtime.db.session() as session:  # what the API's limiter does for each code it sends
        for _ in range(limits.start_per_line.hits - 1):
            count_code_send(
                session, limits, line_id=line_id, client="203.0.113.9", now=datetime.now(UTC)
            )
    resend = client.submit(confirm_url, confirm_url.removesuffix("/confirm") + "/resend", {})
    assert resend.status_code == 429
    assert resend.headers["retry-after"]


def test_answers_are_limited_per_case(client: WebClient, runtime: Runtime) -> None:
    confirm_url, _line_id = _open_case(client, runtime)
    per_case = CodeLimits().confirm_per_case.hits
    statuses = [
        client.submit(confirm_url, confirm_url, {"code": "000000"}).status_code
        for _ in range(per_case + 2)
    ]
    assert statuses[-1] == 429
    assert 429 not in statuses[:per_case]
