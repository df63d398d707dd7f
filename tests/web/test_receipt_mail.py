"""The receipt PDF rides on the e-mail that confirms a request (issue 17, item 5): sent through
the portal, delivered by the worker's jobs to a real SMTP server (aiosmtpd), read back with the
`email` package and pypdf, in the subscriber's language; without a font the mail still goes."""

from __future__ import annotations

import io
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from simexit.jobs import run_pending
from simexit.models import Notification, NotificationDelivery, Subscriber
from simexit.notifications.tasks import current_transports, use_transports
from simexit.runtime import RECEIPT_ATTACHMENTS, Runtime, attachment_sources
from simexit.web import receipt_pdf
from simexit.web.receipt_mail import ReceiptAttachments
from tests.notifications.test_smtp import SmtpServer
from tests.web.client import WebClient
from tests.web.test_portal_messages import TERMINATE, case_row, find_line, request_and_confirm


@pytest.fixture
def mailbox(runtime: Runtime) -> Iterator[SmtpServer]:
    """A real SMTP server, and this process's transports built from settings that name it, as
    the worker builds them."""
    previous, server = current_transports(), SmtpServer()
    server.start()
    runtime.settings = runtime.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": server.port}
    )
    runtime.prepare_jobs()
    yield server
    server.stop()
    use_transports(previous)


@pytest.fixture
def cjk_font() -> None:
    if receipt_pdf.find_font() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("fonts-noto-cjk must be installed in CI (.ci/run installs it)")
        pytest.skip("fonts-noto-cjk is not installed; the PDF receipt is not drawn")


def _deliver(runtime: Runtime) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    while run_pending(runtime.db, now=now, worker_id="w"):
        pass


def _email_of(runtime: Runtime, case_id: uuid.UUID) -> str:
    with runtime.db.read_session() as session:
        subscriber = session.get(Subscriber, case_row(runtime, case_id).subscriber_id)
        assert subscriber is not None
        assert subscriber.email
        return subscriber.email


def _mails_to(server: SmtpServer, address: str, reference: str) -> list[Message]:
    return [
        mail
        for mail in server.inbox.messages
        if mail["To"] == address and reference in str(make_header(decode_header(mail["Subject"])))
    ]


def _pdfs(mail: Message) -> list[Message]:
    return [part for part in mail.walk() if part.get_content_type() == "application/pdf"]


def _pdf_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    # fpdf2's two-byte glyph codes come out of pypdf with a NUL each (test_portal_receipt).
    return "".join(text.replace("\x00", "").split())


def _email_details(runtime: Runtime, case_id: uuid.UUID) -> list[str | None]:
    with runtime.db.read_session() as session:
        return list(
            session.scalars(
                select(NotificationDelivery.detail)
                .join(Notification, Notification.id == NotificationDelivery.notification_id)
                .where(Notification.subject_id == str(case_id), Notification.channel == "email")
            )
        )


def test_the_confirmation_email_carries_the_receipt_in_the_subscribers_language(
    client: WebClient, runtime: Runtime, mailbox: SmtpServer, cjk_font: None
) -> None:
    line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
    client.get("/login?lang=zh_Hans")  # the subscriber reads Chinese
    case_id = request_and_confirm(client, runtime, line, TERMINATE)
    case = case_row(runtime, case_id)
    _deliver(runtime)
    [mail] = _mails_to(mailbox, _email_of(runtime, case_id), case.reference)
    assert mail["Content-Language"] == "zh-Hans"
    [pdf] = _pdfs(mail)
    assert pdf.get_content_disposition() == "attachment"
    assert pdf.get_filename() == f"receipt-{case.reference}.pdf"
    text = _pdf_text(pdf)
    assert case.reference in text
    assert "回执" in text  # "Receipt for request …" in Simplified Chinese
    assert line.msisdn in text
    assert case.consent_text
    assert "".join(case.consent_text.split()) in text
    with runtime.db.read_session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.subject_id == str(case_id))
        ).all()
        assert {row.channel for row in rows} >= {"email", "sms"}
        assert {row.status for row in rows} == {"sent"}
        assert all(len(row.body_text) < 4000 for row in rows)  # the PDF is never stored
    assert all("without its attachment" not in (d or "") for d in _email_details(runtime, case_id))


def test_without_a_font_the_mail_goes_without_the_receipt(
    client: WebClient, runtime: Runtime, mailbox: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receipt_pdf, "FONT_CANDIDATES", ())  # no CJK font on this machine
    line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
    case_id = request_and_confirm(client, runtime, line, TERMINATE)
    case = case_row(runtime, case_id)
    _deliver(runtime)
    [mail] = _mails_to(mailbox, _email_of(runtime, case_id), case.reference)
    assert _pdfs(mail) == []
    assert mail.get_content_type() == "multipart/alternative"
    [detail] = _email_details(runtime, case_id)
    assert detail is not None
    assert "sent without its attachment: NoFont: install fonts-noto-cjk for receipts" in detail


def test_a_russian_case_sends_no_email(
    client: WebClient, runtime: Runtime, mailbox: SmtpServer
) -> None:
    """MTS confirms by SMS and the state portal: no e-mail, so no receipt by e-mail either."""
    line = find_line(runtime, "mts-ru", kind="physical_sim", plan="prepaid", status="active")
    case_id = request_and_confirm(client, runtime, line, {"type": "terminate", "consent": "yes"})
    _deliver(runtime)
    assert (
        _mails_to(mailbox, _email_of(runtime, case_id), case_row(runtime, case_id).reference) == []
    )
    with runtime.db.read_session() as session:
        channels = session.scalars(
            select(Notification.channel).where(Notification.subject_id == str(case_id))
        ).all()
        assert "email" not in channels
        assert "sms" in channels


def test_the_runtime_hands_the_receipt_to_the_confirming_kinds() -> None:
    sources = attachment_sources()
    assert sorted(sources) == ["case.approved", "case.blocked", "case.received"]
    assert all(isinstance(source, ReceiptAttachments) for source in sources.values())


def test_without_the_portal_no_message_carries_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, RECEIPT_ATTACHMENTS, None)  # as if simexit.web were absent
    assert attachment_sources() == {}
