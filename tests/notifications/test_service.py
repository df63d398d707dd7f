"""notify() and the local sink, delivery reports and the at-most-once guarantee."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simexit.db import Database
from simexit.errors import InvalidInput
from simexit.integrations.kannel.reports import read_report
from simexit.jobs import run_pending
from simexit.models import Job, Notification, NotificationDelivery
from simexit.notifications.ports import EMAIL_ADDRESS, PHONE_NUMBER
from simexit.notifications.service import (
    apply_delivery_report,
    dedup_key,
    list_sink_messages,
    notify,
)
from simexit.verification.codes import CODE_PLACEHOLDER


def _report(
    session: Session,
    now: datetime,
    delivery_id: str | uuid.UUID,
    dlr_type: int | str,
    smsc_reply: str | None = None,
) -> Notification | None:
    return apply_delivery_report(
        session,
        now=now,
        delivery_id=delivery_id,
        channel="sms",
        report=read_report(dlr_type, smsc_reply),
    )


RECEIVED = {"reference": "NO-2026-000123", "expected_date": date(2026, 12, 4)}


def _notify_received(
    db: Database, operator_id: uuid.UUID, now: datetime, subject: str = "case-1"
) -> list[uuid.UUID]:
    with db.session() as session:
        rows = notify(
            session,
            now=now,
            operator_id=operator_id,
            kind="case.received",
            subject_id=subject,
            language="nb",
            contacts={EMAIL_ADDRESS: "kari@example.org", PHONE_NUMBER: "+4741234567"},
            context=RECEIVED,
        )
        return [row.id for row in rows]


class TestNotify:
    def test_one_row_and_one_job_per_channel(
        self, db: Database, operator_id: uuid.UUID, now: datetime
    ) -> None:
        _notify_received(db, operator_id, now)
        with db.read_session() as session:
            rows = session.scalars(select(Notification).order_by(Notification.channel)).all()
            assert [(r.channel, r.dedup_key) for r in rows] == [
                ("email", dedup_key("case.received", "case-1", "email")),
                ("sms", dedup_key("case.received", "case-1", "sms")),
            ]
            assert rows[0].subject == "Vi har mottatt forespørselen din NO-2026-000123"
            assert (rows[1].sms_encoding, rows[1].sms_segments) == ("gsm7", 1)
            jobs = session.scalars(select(Job).order_by(Job.dedup_key)).all()
            assert [j.name for j in jobs] == ["notifications.deliver", "notifications.deliver"]

    def test_notifying_twice_sends_once(
        self, db: Database, operator_id: uuid.UUID, now: datetime, sink_only: None
    ) -> None:
        first = _notify_received(db, operator_id, now)
        run_pending(db, now=now, worker_id="w")
        second = _notify_received(db, operator_id, now + timedelta(minutes=1))
        assert first == second
        assert run_pending(db, now=now + timedelta(minutes=1), worker_id="w") == 0
        with db.read_session() as session:
            assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 2

    def test_needs_a_recipient(self, db: Database, operator_id: uuid.UUID, now: datetime) -> None:
        with db.session() as session, pytest.raises(InvalidInput):
            notify(
                session,
                now=now,
                operator_id=operator_id,
                kind="case.failed",
                subject_id="c",
                language="en",
                contacts={EMAIL_ADDRESS: "", PHONE_NUMBER: None},
                context={"reference": "R"},
            )


class TestSink:
    def test_without_transports_messages_land_in_the_sink(
        self, db: Database, operator_id: uuid.UUID, now: datetime, sink_only: None
    ) -> None:
        _notify_received(db, operator_id, now)
        assert run_pending(db, now=now, worker_id="w") == 2
        with db.read_session() as session:
            sink = list_sink_messages(session, operator_id=operator_id, limit=10)
            assert sorted(m.channel for m in sink) == ["email", "sms"]
            assert all(m.status == "sent" and m.transport == "sink" for m in sink)
            assert list_sink_messages(session, operator_id=uuid.uuid4(), limit=10) == []

    def test_the_sink_keeps_a_placeholder_where_the_code_goes(
        self, db: Database, operator_id: uuid.UUID, now: datetime, sink_only: None
    ) -> None:
        with db.session() as session:
            notify(
                session,
                now=now,
                operator_id=operator_id,
                kind="verification.code",
                subject_id="v-1",
                language="en",
                contacts={PHONE_NUMBER: "+4741234567"},
                context={"code": "482913", "expiry_minutes": 10},
            )
        run_pending(db, now=now, worker_id="w")
        with db.read_session() as session:
            [message] = list_sink_messages(session, operator_id=operator_id, limit=10)
            # Whatever a caller puts in the context, what staff can read holds no code.
            assert "482913" not in message.body_text
            assert CODE_PLACEHOLDER in message.body_text
            assert message.sms_encoding == "gsm7"  # counted as sent: digits, not bullets
            job = session.scalars(select(Job)).one()
            assert "482913" not in str(job.payload)


class TestDeliveryReports:
    def _sent_sms(self, db: Database, operator_id: uuid.UUID, now: datetime) -> uuid.UUID:
        _notify_received(db, operator_id, now)
        run_pending(db, now=now, worker_id="w")
        with db.read_session() as session:
            return session.scalars(
                select(Notification.id).where(Notification.channel == "sms")
            ).one()

    def test_delivered_report_marks_delivered(
        self, db: Database, operator_id: uuid.UUID, now: datetime, sink_only: None
    ) -> None:
        sms_id = self._sent_sms(db, operator_id, now)
        with db.session() as session:
            _report(session, now, str(sms_id), "8")
            _report(session, now, str(sms_id), "1", "id:1 stat:DELIVRD")
            _report(session, now, str(sms_id), "8")  # late: no step back
        with db.read_session() as session:
            row = session.get(Notification, sms_id)
            assert row is not None
            assert (row.status, row.delivered_at) == ("delivered", now)
            reports = session.scalars(
                select(NotificationDelivery.outcome).where(NotificationDelivery.event == "report")
            ).all()
            assert sorted(reports) == ["accepted_by_smsc", "accepted_by_smsc", "delivered"]

    def test_failed_report_marks_undeliverable(
        self, db: Database, operator_id: uuid.UUID, now: datetime, sink_only: None
    ) -> None:
        sms_id = self._sent_sms(db, operator_id, now)
        with db.session() as session:
            row = _report(session, now, sms_id, 16)
            assert row is not None
            assert row.status == "undeliverable"

    def test_unknown_or_malformed_ids(self, db: Database, now: datetime) -> None:
        with db.session() as session:
            assert _report(session, now, uuid.uuid4(), 1) is None
            with pytest.raises(InvalidInput):
                _report(session, now, "not-a-uuid", 1)
