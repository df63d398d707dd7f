"""The console's sent-messages page lists every channel's sink messages, named generically."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from simexit.integrations.push.channel import PushChannel
from simexit.jobs import run_pending
from simexit.models import Operator
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import (
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    PUSH_TOKEN,
    ChannelRegistry,
    Transports,
)
from simexit.notifications.service import notify
from simexit.notifications.tasks import current_transports, use_transports
from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import staff_sign_in


def test_push_messages_in_the_sink_show_beside_email_and_sms(
    client: WebClient, runtime: Runtime
) -> None:
    channels = ChannelRegistry([EmailChannel(), SmsChannel(), PushChannel()])
    now = datetime.now(UTC)
    previous = current_transports()
    use_transports(Transports(channels=channels))
    try:
        with runtime.db.session() as session:
            operator = session.scalars(select(Operator).where(Operator.code == "ice-no")).one()
            notify(
                session,
                now=now,
                operator_id=operator.id,
                kind="case.withdrawn",
                subject_id=str(uuid.uuid4()),
                language="en",
                contacts={
                    EMAIL_ADDRESS: "kari@example.org",
                    PHONE_NUMBER: "+4741234567",
                    PUSH_TOKEN: "device-token-42",
                },
                context={"reference": "IS-2026-424242"},
            )
        run_pending(runtime.db, now=now, worker_id="w")
    finally:
        use_transports(previous)
    staff_sign_in(client, "agent@ice-no.demo")
    page = client.get("/console/messages?lang=en")
    assert page.status_code == 200
    assert "device-token-42" in page.text
    for label in ("E-mail", "SMS", "Push"):
        assert f"{label} →" in page.text
    assert page.text.count("IS-2026-424242") >= 3
