"""A third channel end to end: push, registered beside e-mail and SMS at the edge.

The push adapter (`simexit.integrations.push`) posts to a real HTTP server in this process; the
notification service knows nothing about it. A case withdrawn for a subscriber with a push token
queues one message per channel, the push one reaches the server, and its dedup key holds across
a failed attempt, its retry and a second `notify`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from simexit.cases import service as cases
from simexit.cases.context import CaseContext
from simexit.config import Settings
from simexit.db import Database
from simexit.integrations.transports import build_channels, build_transports
from simexit.jobs import run_pending
from simexit.models import Job, Notification, NotificationDelivery
from simexit.notifications.channels import local_sinks, use_transports
from simexit.notifications.ports import PUSH_TOKEN, Transports
from simexit.notifications.service import dedup_key, notify
from simexit.notifications.templates import RenderedMessage, render
from simexit.policies.loader import PackRegistry, load_registry
from simexit.policies.model import Channel, RequestType
from tests.cases.conftest import World
from tests.fixtures.factories import create_line, create_operator, create_subscriber

TOKEN = "fcm:dQw4w9WgXcQ:APA91bH-device-token"


class PushReceiver:
    """The operator's push service: records every POST, answers 503 while `failures` > 0."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    ({k.lower(): v for k, v in self.headers.items()}, json.loads(body))
                )
                failing = receiver.failures > 0
                receiver.failures -= 1 if failing else 0
                self.send_response(503 if failing else 202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push(transports: None) -> Iterator[PushReceiver]:
    receiver = PushReceiver()
    use_transports(build_transports(Settings(push_url=receiver.url)))
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def packs() -> PackRegistry:
    return load_registry()


@pytest.fixture
def world(db: Database, packs: PackRegistry) -> World:
    with db.session() as session:
        operator = create_operator(session, packs=packs, pack_id="no/telenor")
        other = create_operator(session, packs=packs, pack_id="us/att", prefix="US")
        subscriber = create_subscriber(session, operator=operator, push_token=TOKEN)
        line = create_line(session, operator=operator, subscriber=subscriber)
        return World(operator.id, line.id, subscriber.id, other.id)


def _withdrawn_case(db: Database, world: World, now: datetime, packs: PackRegistry) -> uuid.UUID:
    ctx = CaseContext(packs=packs, secret_key=b"k" * 32)
    with db.session() as session:
        case = cases.open_case(
            session,
            ctx,
            actor=world.subscriber,
            line_id=world.line_id,
            case_type=RequestType.terminate,
            channel=Channel.web,
            now=now,
        ).case
        cases.withdraw(session, ctx, actor=world.subscriber, case_id=case.id, now=now)
        return case.id


def _notifications(db: Database) -> list[Notification]:
    with db.read_session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.created_at)))


class TestRegistration:
    def test_push_is_registered_after_email_and_sms_when_its_url_is_set(self) -> None:
        with_push = build_channels(Settings(push_url="https://push.example/v1/messages"))
        assert with_push.names == ("email", "sms", "push")
        push = with_push.get("push")
        assert push is not None
        assert (push.contact, push.transport) == (PUSH_TOKEN, "push_http")

    def test_without_a_url_there_is_no_push_channel(self) -> None:
        assert build_channels(Settings()).names == ("email", "sms")

    def test_a_bad_url_is_refused_naming_the_setting(self) -> None:
        with pytest.raises(ValueError, match="push_url"):
            Settings(push_url="ftp://push.example")


class TestPushEndToEnd:
    def test_a_withdrawn_case_reaches_the_push_service(
        self, db: Database, world: World, now: datetime, packs: PackRegistry, push: PushReceiver
    ) -> None:
        case_id = _withdrawn_case(db, world, now, packs)
        rows = {row.channel: row for row in _notifications(db)}
        assert set(rows) == {"email", "sms", "push"}
        queued = rows["push"]
        assert queued.recipient == TOKEN
        assert queued.dedup_key == dedup_key("case.withdrawn", str(case_id), "push")
        # The template has no push text of its own: the push body is its SMS text.
        assert queued.body_text == rows["sms"].body_text
        assert queued.subject == rows["email"].subject
        assert (queued.body_html, queued.sms_encoding, queued.sms_segments) == (None, None, None)

        assert run_pending(db, now=now, worker_id="w") == 3
        [(headers, body)] = push.received
        assert body == {
            "id": str(queued.id),
            "to": TOKEN,
            "kind": "case.withdrawn",
            "language": queued.language,
            "title": queued.subject,
            "body": queued.body_text,
        }
        assert headers["idempotency-key"] == str(queued.id)
        assert headers["content-type"] == "application/json"
        sent = {row.channel: row for row in _notifications(db)}
        assert (sent["push"].status, sent["push"].transport) == ("sent", "push_http")
        assert {sent["email"].transport, sent["sms"].transport} == {"sink"}

    def test_a_refused_push_is_retried_with_the_same_id_and_sent_once(
        self, db: Database, world: World, now: datetime, packs: PackRegistry, push: PushReceiver
    ) -> None:
        push.failures = 1
        case_id = _withdrawn_case(db, world, now, packs)
        run_pending(db, now=now, worker_id="w")
        [failed] = [row for row in _notifications(db) if row.channel == "push"]
        assert failed.status == "failed"
        assert failed.last_error is not None
        assert "HTTP 503" in failed.last_error

        later = now + timedelta(hours=2)
        assert run_pending(db, now=later, worker_id="w") == 1
        assert [body["id"] for _, body in push.received] == [str(failed.id)] * 2
        assert len({headers["idempotency-key"] for headers, _ in push.received}) == 1

        # Asking again for the same kind and subject finds the sent message: no new row, no job.
        with db.session() as session:
            again = notify(
                session,
                now=later,
                operator_id=world.operator_id,
                kind="case.withdrawn",
                subject_id=str(case_id),
                language="nb",
                contacts={PUSH_TOKEN: TOKEN},
                context={"reference": "ignored"},
            )
        assert [(row.id, row.channel) for row in again] == [(failed.id, "push")]
        assert run_pending(db, now=later + timedelta(hours=2), worker_id="w") == 0
        assert len(push.received) == 2
        with db.read_session() as session:
            [row] = session.scalars(select(Notification).where(Notification.channel == "push"))
            assert (row.status, row.attempts) == ("sent", 2)
            outcomes = session.scalars(
                select(NotificationDelivery.outcome)
                .where(NotificationDelivery.notification_id == row.id)
                .order_by(NotificationDelivery.created_at)
            ).all()
            assert outcomes == ["error", "sent"]
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.dedup_key == f"notifications.deliver:{row.dedup_key}")
                )
                == 1
            )

    def test_a_worker_without_the_push_channel_retries_instead_of_dropping(
        self, db: Database, world: World, now: datetime, packs: PackRegistry, push: PushReceiver
    ) -> None:
        _withdrawn_case(db, world, now, packs)
        use_transports(Transports(channels=local_sinks()))
        run_pending(db, now=now, worker_id="w")
        [row] = [row for row in _notifications(db) if row.channel == "push"]
        assert row.status == "failed"
        assert row.last_error == "no 'push' channel is configured in this worker"
        assert push.received == []
        with db.read_session() as session:
            [attempt] = session.scalars(
                select(NotificationDelivery).where(NotificationDelivery.notification_id == row.id)
            )
            assert (attempt.transport, attempt.outcome) == ("unconfigured", "error")

    def test_without_push_a_subscriber_with_a_token_gets_email_and_sms(
        self, db: Database, world: World, now: datetime, packs: PackRegistry, sink_only: None
    ) -> None:
        _withdrawn_case(db, world, now, packs)
        assert sorted(row.channel for row in _notifications(db)) == ["email", "sms"]


class TestChannelTexts:
    def test_a_channel_without_its_own_text_gets_the_sms_form(self) -> None:
        rendered = render("case.withdrawn", "en", {"reference": "NO-1"})
        assert rendered.short_text("push") == rendered.sms

    def test_a_channel_text_of_its_own_wins(self) -> None:
        base = render("case.withdrawn", "en", {"reference": "NO-1"})
        rendered = RenderedMessage(
            subject=base.subject,
            paragraphs=base.paragraphs,
            sms=base.sms,
            sender_name=base.sender_name,
            channel_texts={"push": "Withdrawn: NO-1"},
        )
        assert rendered.short_text("push") == "Withdrawn: NO-1"
        assert rendered.short_text("sms") == base.sms
