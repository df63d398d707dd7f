"""SMS through a real Kannel (bearerbox + smsbox) to its fake SMSC."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from simexit.db import Database
from simexit.integrations.kannel.client import KannelConfig, KannelSmsSender
from simexit.integrations.kannel.reports import read_report
from simexit.jobs import run_pending
from simexit.models import Job, Notification, NotificationDelivery
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import PHONE_NUMBER, ChannelRegistry, Transports
from simexit.notifications.service import apply_delivery_report, notify
from simexit.notifications.tasks import use_transports
from simexit.verification.codes import CODE_PLACEHOLDER, derive_code
from tests.notifications.kannel_boxes import PASSWORD, USERNAME, KannelBoxes, require_kannel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kannel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelBoxes]:
    require_kannel()
    boxes = KannelBoxes(tmp_path_factory.mktemp("kannel"))
    try:
        boxes.ensure_running()
        yield boxes
    finally:
        boxes.stop()


@pytest.fixture(autouse=True)
def kannel_alive(kannel: KannelBoxes) -> None:
    kannel.ensure_running()


class ReportReceiver:
    """Our dlr-url endpoint, standing in for the HTTP route the API mounts."""

    def __init__(self) -> None:
        self.reports: list[dict[str, str]] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                receiver.reports.append({name: values[0] for name, values in query.items()})
                receiver.arrived.set()
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kannel/dlr"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def reports(kannel: KannelBoxes, transports: None) -> Iterator[ReportReceiver]:
    receiver = ReportReceiver()
    use_transports(
        _sms_only(
            KannelSmsSender(
                KannelConfig(
                    sendsms_url=kannel.sendsms_url,
                    username=USERNAME,
                    password=PASSWORD,
                    sender="FjordMob",
                    dlr_url=receiver.url,
                )
            )
        )
    )
    yield receiver
    receiver.close()


def _sms_only(sender: KannelSmsSender) -> Transports:
    return Transports(
        channels=ChannelRegistry([EmailChannel(), SmsChannel(sender)]), code_secret=CODE_SECRET
    )


CODE_SECRET = b"kannel-test-secret-0123456789abcdef"


def _notify_sms(
    db: Database, operator_id: uuid.UUID, now: datetime, *, language: str, subject: str, phone: str
) -> uuid.UUID:
    with db.session() as session:
        [row] = notify(
            session,
            now=now,
            operator_id=operator_id,
            kind="case.received",
            subject_id=subject,
            language=language,
            contacts={PHONE_NUMBER: phone},
            context={"reference": "NO-2026-000123", "expected_date": date(2026, 12, 4)},
        )
        return row.id


def test_gsm7_and_ucs2_messages_reach_the_smsc(
    db: Database,
    operator_id: uuid.UUID,
    now: datetime,
    kannel: KannelBoxes,
    reports: ReportReceiver,
) -> None:
    before = len(kannel.received())
    norwegian = _notify_sms(
        db, operator_id, now, language="nb", subject=f"c-{uuid.uuid4()}", phone="4741234567"
    )
    russian = _notify_sms(
        db, operator_id, now, language="ru", subject=f"c-{uuid.uuid4()}", phone="79161234567"
    )
    assert run_pending(db, now=now, worker_id="w") == 2
    lines = kannel.wait_for_messages(before + 2)[before:]
    gsm_line = next(line for line in lines if "4741234567" in line)
    ucs2_line = next(line for line in lines if "79161234567" in line)
    assert "<FjordMob 4741234567 text Vi har mottatt forespørselen din NO-2026-000123." in gsm_line
    assert "79161234567" in ucs2_line
    assert " text " not in ucs2_line  # fakesmsc shows UCS-2 payloads as data, not as text
    with db.read_session() as session:
        rows = {row.id: row for row in session.scalars(select(Notification))}
        assert (
            rows[norwegian].status,
            rows[norwegian].sms_encoding,
            rows[norwegian].transport,
        ) == ("sent", "gsm7", "kannel")
        assert (rows[russian].status, rows[russian].sms_encoding) == ("sent", "ucs2")
        details = session.scalars(select(NotificationDelivery.detail)).all()
        assert all(detail and detail.startswith("0: Accepted") for detail in details)


def test_delivery_report_reaches_the_notification(
    db: Database,
    operator_id: uuid.UUID,
    now: datetime,
    kannel: KannelBoxes,
    reports: ReportReceiver,
) -> None:
    notification_id = _notify_sms(
        db, operator_id, now, language="en", subject=f"c-{uuid.uuid4()}", phone="4798765432"
    )
    run_pending(db, now=now, worker_id="w")
    assert reports.arrived.wait(30), "Kannel sent no delivery report"
    report = reports.reports[0]
    assert report["delivery"] == str(notification_id)
    with db.session() as session:
        row = apply_delivery_report(
            session,
            now=now,
            delivery_id=report["delivery"],
            channel="sms",
            report=read_report(report["type"], report.get("answer")),
        )
        assert row is not None
    with db.read_session() as session:
        outcomes = session.scalars(
            select(NotificationDelivery.outcome).where(NotificationDelivery.event == "report")
        ).all()
        assert len(outcomes) == 1
        assert outcomes[0] in {"delivered", "accepted_by_smsc", "queued_at_smsc"}


def test_wrong_password_is_retried_then_dead(
    db: Database,
    operator_id: uuid.UUID,
    now: datetime,
    kannel: KannelBoxes,
    transports: None,
    tmp_path: Path,
) -> None:
    use_transports(
        _sms_only(
            KannelSmsSender(
                KannelConfig(
                    sendsms_url=kannel.sendsms_url, username=USERNAME, password="wrong-password"
                )
            )
        )
    )
    notification_id = _notify_sms(
        db, operator_id, now, language="en", subject="c-refused", phone="4711111111"
    )
    moment = now
    for _ in range(8):
        run_pending(db, now=moment, worker_id="w")
        moment += timedelta(hours=1)
    with db.read_session() as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        assert row.status == "dead"
        assert row.last_error is not None
        assert "Kannel refused the SMS: HTTP 403" in row.last_error
        assert "wrong-password" not in row.last_error
        job = session.scalars(select(Job)).one()
        assert (job.status, job.attempts) == ("dead", 8)
        attempts = session.scalars(
            select(NotificationDelivery).where(
                NotificationDelivery.notification_id == notification_id
            )
        ).all()
        assert [a.outcome for a in attempts] == ["error"] * 8


def test_a_code_reaches_the_smsc_and_never_the_database(
    db: Database,
    operator_id: uuid.UUID,
    now: datetime,
    kannel: KannelBoxes,
    reports: ReportReceiver,
) -> None:
    """The SMS the SMSC gets holds the code; the notification row never does (a placeholder
    while queued, removed once sent), nor the job or the delivery log."""
    before = len(kannel.received())
    subject = f"v-{uuid.uuid4()}"
    with db.session() as session:
        [queued] = notify(
            session,
            now=now,
            operator_id=operator_id,
            kind="verification.code",
            subject_id=subject,
            language="nb",
            contacts={PHONE_NUMBER: "4741234599"},
            context={"expiry_minutes": 10},
        )
    code = derive_code(CODE_SECRET, subject)
    with db.read_session() as session:
        row = session.get(Notification, queued.id)
        assert row is not None
        assert CODE_PLACEHOLDER in row.body_text
        assert code not in row.body_text
    assert run_pending(db, now=now, worker_id="w") == 1
    [line] = [
        line for line in kannel.wait_for_messages(before + 1)[before:] if "4741234599" in line
    ]
    assert code in line
    with db.read_session() as session:
        row = session.get(Notification, queued.id)
        assert row is not None
        assert row.status == "sent"
        assert code not in row.body_text
        stored = [str(job.payload) for job in session.scalars(select(Job))]
        stored += [str(d.detail) for d in session.scalars(select(NotificationDelivery))]
        assert not any(code in text for text in stored)
