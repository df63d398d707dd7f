"""Attachments: a kind's file is read in the delivery plan, made on the way to the transport and
carried by e-mail only, through a real SMTP server (aiosmtpd); a file that cannot be made never
holds the message back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime
from email.message import Message as MailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.db import Database
from simexit.integrations.smtp.client import SmtpConfig, SmtpEmailSender
from simexit.jobs import run_pending
from simexit.models import Notification, NotificationDelivery
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import (
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    Attachment,
    AttachmentSource,
    ChannelRegistry,
    Message,
    OutgoingSms,
    SendReceipt,
    Transports,
)
from simexit.notifications.service import notify
from simexit.notifications.tasks import use_transports
from tests.notifications.test_smtp import SmtpServer

RECEIVED = {"reference": "NO-2026-000123", "expected_date": date(2026, 12, 4)}
FILE = b"%PDF-1.4 a receipt"


class Drawn:
    def __init__(self, subject_id: str, fails: bool) -> None:
        self.subject_id, self.fails = subject_id, fails

    def render(self) -> Attachment:
        if self.fails:
            raise RuntimeError("install fonts-noto-cjk for receipts")
        return Attachment(f"receipt-{self.subject_id}.pdf", "application/pdf", FILE)


class Receipts:
    """A test attachment source: what it was asked for, and a file (or a failure) per case."""

    def __init__(self, *, render_fails: bool = False, read_fails: bool = False) -> None:
        self.asked: list[tuple[str, str]] = []
        self.render_fails, self.read_fails = render_fails, read_fails

    def draft(self, session: Session, message: Message, *, now: datetime) -> Drawn:
        assert session.in_transaction()  # the plan's read-only transaction
        self.asked.append((message.kind, message.language))
        if self.read_fails:
            raise LookupError("no such case")
        return Drawn(message.subject_id, self.render_fails)


class CapturedSms:
    name = "captured"

    def __init__(self) -> None:
        self.sent: list[OutgoingSms] = []

    def send(self, message: OutgoingSms) -> SendReceipt:
        self.sent.append(message)
        return SendReceipt("accepted")


@pytest.fixture
def server(transports: None) -> Iterator[SmtpServer]:
    running = SmtpServer()
    running.start()
    yield running
    running.stop()


def _use(server: SmtpServer | None, source: AttachmentSource, sms: CapturedSms) -> None:
    email = (
        EmailChannel(SmtpEmailSender(SmtpConfig(host="127.0.0.1", port=server.port)))
        if server is not None
        else EmailChannel()
    )
    use_transports(
        Transports(
            channels=ChannelRegistry([email, SmsChannel(sms)]),
            attachments={"case.received": source},
        )
    )


def _notify(
    db: Database, operator_id: uuid.UUID, now: datetime, kind: str = "case.received"
) -> None:
    context = RECEIVED if kind == "case.received" else {"reference": "NO-2026-000123"}
    with db.session() as session:
        notify(
            session,
            now=now,
            operator_id=operator_id,
            kind=kind,
            subject_id="case-1",
            language="nb",
            contacts={EMAIL_ADDRESS: "kari@example.org", PHONE_NUMBER: "+4741234567"},
            context=context,
        )


def parts(message: MailMessage) -> list[MailMessage]:
    payload = message.get_payload()
    assert isinstance(payload, list)
    return [part for part in payload if isinstance(part, MailMessage)]


def _files(message: MailMessage) -> list[MailMessage]:
    return [part for part in message.walk() if part.get_content_disposition() == "attachment"]


def _details(db: Database, channel: str) -> list[str | None]:
    with db.read_session() as session:
        return list(
            session.scalars(
                select(NotificationDelivery.detail)
                .join(Notification, Notification.id == NotificationDelivery.notification_id)
                .where(Notification.channel == channel)
            )
        )


def test_the_email_carries_the_file_and_the_sms_does_not(
    db: Database, operator_id: uuid.UUID, now: datetime, server: SmtpServer
) -> None:
    source, sms = Receipts(), CapturedSms()
    _use(server, source, sms)
    _notify(db, operator_id, now)
    assert run_pending(db, now=now, worker_id="w") == 2
    assert server.inbox.arrived.wait(10)
    [mail] = server.inbox.messages
    assert mail.get_content_type() == "multipart/mixed"
    body, file = parts(mail)
    assert body.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parts(body)] == ["text/plain", "text/html"]
    assert file.get_content_type() == "application/pdf"
    assert file.get_filename() == "receipt-case-1.pdf"
    assert file.get_payload(decode=True) == FILE
    assert source.asked == [("case.received", "nb")]  # asked once: for the e-mail alone
    [text] = sms.sent
    assert "NO-2026-000123" in text.text
    with db.read_session() as session:
        rows = session.scalars(select(Notification)).all()
        assert {row.status for row in rows} == {"sent"}
        assert all(b"PDF" not in row.body_text.encode() for row in rows)  # never stored
    assert _details(db, "email") == ["accepted by the SMTP server"]


def test_a_kind_without_a_source_goes_as_before(
    db: Database, operator_id: uuid.UUID, now: datetime, server: SmtpServer
) -> None:
    source, sms = Receipts(), CapturedSms()
    _use(server, source, sms)
    _notify(db, operator_id, now, kind="case.withdrawn")
    run_pending(db, now=now, worker_id="w")
    assert server.inbox.arrived.wait(10)
    [mail] = server.inbox.messages
    assert mail.get_content_type() == "multipart/alternative"
    assert source.asked == []


@pytest.mark.parametrize("failing", ["render", "read"])
def test_a_file_that_cannot_be_made_leaves_the_mail_to_go_without_it(
    db: Database, operator_id: uuid.UUID, now: datetime, server: SmtpServer, failing: str
) -> None:
    source = Receipts(render_fails=failing == "render", read_fails=failing == "read")
    _use(server, source, CapturedSms())
    _notify(db, operator_id, now)
    assert run_pending(db, now=now, worker_id="w") == 2
    assert server.inbox.arrived.wait(10)
    [mail] = server.inbox.messages
    assert _files(mail) == []
    assert mail.get_content_type() == "multipart/alternative"
    with db.read_session() as session:
        assert set(session.scalars(select(Notification.status))) == {"sent"}
    [detail] = _details(db, "email")
    why = (
        "RuntimeError: install fonts-noto-cjk for receipts"
        if failing == "render"
        else "AttachmentUnreadable: LookupError: no such case"
    )
    assert detail == f"accepted by the SMTP server; sent without its attachment: {why}"


def test_the_local_sink_makes_no_file(db: Database, operator_id: uuid.UUID, now: datetime) -> None:
    source, sms = Receipts(), CapturedSms()
    _use(None, source, sms)
    _notify(db, operator_id, now)
    assert run_pending(db, now=now, worker_id="w") == 2
    assert source.asked == []
    assert len(sms.sent) == 1
