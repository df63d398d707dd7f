"""Kannel's delivery-report callback reaches the notification it names."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from simexit.models import Notification, NotificationDelivery
from simexit.notifications import service as notifications
from simexit.notifications.ports import PHONE_NUMBER
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient


def _queued_sms(runtime: Runtime, demo: Demo) -> uuid.UUID:
    with runtime.db.session() as session:
        [sms] = [
            n
            for n in notifications.notify(
                session,
                now=NOW,
                operator_id=demo.operator_ids["telenor-no"],
                kind="case.withdrawn",
                subject_id="00000000-0000-0000-0000-00000000c0de",
                language="nb",
                contacts={PHONE_NUMBER: "+4741234567"},
                context={"reference": "NO-2026-000042"},
            )
            if n.channel == "sms"
        ]
        return sms.id


def test_a_delivery_report_is_recorded(client: TestClient, runtime: Runtime, demo: Demo) -> None:
    notification_id = _queued_sms(runtime, demo)
    answer = client.get(
        "/hooks/kannel/dlr", params={"delivery": str(notification_id), "type": 1, "answer": "ACK/"}
    )
    assert answer.status_code == 204
    with runtime.db.read_session() as session:
        events = session.scalars(
            select(NotificationDelivery.event).where(
                NotificationDelivery.notification_id == notification_id
            )
        ).all()
    assert "report" in events


def test_unknown_ids_are_ignored_and_malformed_ones_named(client: TestClient, demo: Demo) -> None:
    unknown = client.get(
        "/hooks/kannel/dlr", params={"delivery": "5f0c6b8e-1111-4222-8333-944455556666", "type": 1}
    )
    assert unknown.status_code == 204
    malformed = client.get("/hooks/kannel/dlr", params={"delivery": "not-an-id", "type": 1})
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("application/problem+json")
    assert malformed.json()["field"] == "delivery_id"
    missing = client.get("/hooks/kannel/dlr", params={"delivery": "x"})
    assert missing.status_code == 422


def test_reports_do_not_create_notifications(
    client: TestClient, runtime: Runtime, demo: Demo
) -> None:
    client.get(
        "/hooks/kannel/dlr", params={"delivery": "5f0c6b8e-1111-4222-8333-944455556666", "type": 2}
    )
    with runtime.db.read_session() as session:
        assert session.scalars(select(Notification)).all() == []
