"""E-mail through a real SMTP server (aiosmtpd in a thread)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from sqlalchemy import select

from simexit.db import Database
from simexit.integrations.smtp.client import SmtpConfig, SmtpEmailSender
from simexit.jobs import run_pending
from simexit.models import Job, Notification, NotificationDelivery
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import EMAIL_ADDRESS, ChannelRegistry, Transports
from simexit.notifications.service import REDACTED_BODY, notify
from simexit.notifications.tasks import use_transports
from simexit.verification.codes import CODE_PLACEHOLDER, derive_code
from tests.notifications.conftest import free_port

CODE_SECRET = b"smtp-test-secret-0123456789abcdef"


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []
        self.arrived = threading.Event()

    def handle_message(self, message: Message) -> None:
        self.messages.append(message)
        self.arrived.set()


class SlowInbox(Inbox):
    """Takes each message, then keeps the client waiting for its reply until `hold` is set."""

    def __init__(self, hold: threading.Event) -> None:
        super().__init__()
        self.hold = hold

    def handle_message(self, message: Message) -> None:
        super().handle_message(message)
        self.hold.wait(30)


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()  # aiosmtpd cannot bind port 0 itself
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(transports: None) -> Iterator[SmtpServer]:
    server = SmtpServer()
    use_transports(
        Transports(
            channels=ChannelRegistry(
                [
                    EmailChannel(
                        SmtpEmailSender(
                            SmtpConfig(
                                host="127.0.0.1",
                                port=server.port,
                                mail_from="Fjord Mobil <no-reply@fjord.example>",
                            )
                        )
                    ),
                    SmsChannel(),
                ]
            ),
            code_secret=CODE_SECRET,
        )
    )
    yield server
    server.stop()


def _notify(
    db: Database,
    operator_id: uuid.UUID,
    now: datetime,
    *,
    kind: str,
    language: str,
    context: Mapping[str, object],
) -> uuid.UUID:
    with db.session() as session:
        [row] = notify(
            session,
            now=now,
            operator_id=operator_id,
            kind=kind,
            subject_id="case-9",
            language=language,
            contacts={EMAIL_ADDRESS: "olga@example.org"},
            context=context,
        )
        return row.id


def _parts(message: Message) -> list[Message]:
    parts = message.get_payload()
    assert isinstance(parts, list)
    messages: list[Message] = []
    for part in parts:
        assert isinstance(part, Message)
        messages.append(part)
    return messages


def _decoded(part: Message) -> str:
    body = part.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


def test_message_arrives_multipart_in_the_right_language(
    db: Database, operator_id: uuid.UUID, now: datetime, smtp_server: SmtpServer
) -> None:
    smtp_server.start()
    context = {"reference": "RU-2026-000777", "reason": "Номер <оформлен> на другое лицо"}
    _notify(db, operator_id, now, kind="case.rejected", language="ru", context=context)
    assert run_pending(db, now=now, worker_id="w") == 1
    assert smtp_server.inbox.arrived.wait(10)
    [message] = smtp_server.inbox.messages
    assert message["To"] == "olga@example.org"
    assert (
        str(make_header(decode_header(message["Subject"])))
        == "Мы не смогли принять заявку RU-2026-000777"
    )
    assert message["Content-Language"] == "ru"
    assert message.get_content_type() == "multipart/alternative"
    text_part, html_part = _parts(message)
    assert text_part.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    assert "Причина: Номер <оформлен> на другое лицо" in _decoded(text_part)
    assert "Номер &lt;оформлен&gt; на другое лицо" in _decoded(html_part)


def test_server_down_then_up_arrives_once_after_backoff(
    db: Database, operator_id: uuid.UUID, now: datetime, smtp_server: SmtpServer
) -> None:
    notification_id = _notify(
        db,
        operator_id,
        now,
        kind="case.received",
        language="en",
        context={"reference": "NO-1", "expected_date": date(2026, 12, 1)},
    )
    run_pending(db, now=now, worker_id="w")  # nobody listens yet
    with db.read_session() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        assert (row.status, row.attempts) == ("failed", 1)
        job = session.scalars(select(Job)).one()
        assert job.status == "queued"
        assert job.run_at > now
    smtp_server.start()
    assert run_pending(db, now=now + timedelta(seconds=1), worker_id="w") == 0  # still backing off
    assert run_pending(db, now=now + timedelta(seconds=30), worker_id="w") == 1
    assert run_pending(db, now=now + timedelta(days=1), worker_id="w") == 0
    assert len(smtp_server.inbox.messages) == 1
    with db.read_session() as session:
        outcomes = session.scalars(
            select(NotificationDelivery.outcome).order_by(NotificationDelivery.created_at)
        ).all()
        assert list(outcomes) == ["error", "sent"]
        row = session.get(Notification, notification_id)
        assert row is not None
        assert (row.status, row.transport) == ("sent", "smtp")


def test_verification_code_is_sent_then_removed_from_the_database(
    db: Database, operator_id: uuid.UUID, now: datetime, smtp_server: SmtpServer
) -> None:
    """The code reaches the subscriber's mailbox; the database holds it at no point: the queued
    row keeps a placeholder, the delivery job writes the code in on its way to SMTP."""
    smtp_server.start()
    notification_id = _notify(
        db,
        operator_id,
        now,
        kind="verification.code",
        language="zh-CN",
        context={"expiry_minutes": 10},
    )
    with db.read_session() as session:
        queued = session.get(Notification, notification_id)
        assert queued is not None
        code = derive_code(CODE_SECRET, queued.subject_id)
        assert code not in queued.body_text
        assert CODE_PLACEHOLDER in queued.body_text
        assert code not in (queued.body_html or "")
    run_pending(db, now=now, worker_id="w")
    assert smtp_server.inbox.arrived.wait(10)
    [message] = smtp_server.inbox.messages
    parts = [_decoded(part) for part in _parts(message)]
    assert all(code in part and CODE_PLACEHOLDER not in part for part in parts)
    with db.read_session() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        assert row.body_text == REDACTED_BODY
        assert row.body_html is None


def test_a_slow_smtp_server_does_not_hold_up_writes(
    db: Database, operator_id: uuid.UUID, now: datetime, smtp_server: SmtpServer
) -> None:
    """The SMTP exchange runs with no transaction open: on SQLite, writes don't wait for it."""
    hold = threading.Event()
    smtp_server.inbox = SlowInbox(hold)
    smtp_server.start()
    context = {"reference": "NO-2", "expected_date": date(2026, 12, 1)}
    first = _notify(db, operator_id, now, kind="case.received", language="en", context=context)
    worker = threading.Thread(target=run_pending, args=(db,), kwargs={"now": now, "worker_id": "w"})
    worker.start()
    try:
        assert smtp_server.inbox.arrived.wait(30)
        with db.session(wait=False) as session:  # WriterBusy if the exchange held the lock
            notify(
                session,
                now=now,
                operator_id=operator_id,
                kind="case.received",
                subject_id="case-10",
                language="en",
                contacts={EMAIL_ADDRESS: "olga@example.org"},
                context=context,
            )
    finally:
        hold.set()
        worker.join(30)
    with db.read_session() as session:
        row = session.get(Notification, first)
        assert row is not None
        assert (row.status, row.transport, row.attempts) == ("sent", "smtp", 1)
        # The worker's next claim found the message written meanwhile and sent it too.
        statuses = session.scalars(select(Notification.status)).all()
        assert list(statuses) == ["sent", "sent"]
        outcomes = session.scalars(select(NotificationDelivery.outcome)).all()
        assert list(outcomes) == ["sent", "sent"]
    assert len(smtp_server.inbox.messages) == 2
