"""Signed webhooks to a real HTTP receiver that checks every signature."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from simexit.clock import utc_now
from simexit.db import Database
from simexit.integrations.webhooks.client import HttpWebhookSender
from simexit.jobs import run_pending
from simexit.kit.standard_webhooks import (
    WebhookVerificationError,
    generate_secret,
    sign,
    signed_headers,
    verify_webhook_signature,
)
from simexit.models import Operator, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from simexit.notifications.channels import local_sinks
from simexit.notifications.ports import Transports
from simexit.notifications.tasks import use_transports
from simexit.notifications.webhooks import emit
from tests.notifications.conftest import WEBHOOK_SECRET


class Receiver:
    """Answers each POST with the next status in `answers`, after verifying the signature."""

    def __init__(self, answers: list[int], hold: threading.Event | None = None) -> None:
        self.answers = answers
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.verified: list[bool] = []
        self.arrived = threading.Event()
        self.hold = hold  # when set, each answer waits for it: a slow receiver
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((headers, body))
                try:
                    verify_webhook_signature(
                        secret=WEBHOOK_SECRET, headers=headers, body=body, now=utc_now()
                    )
                    receiver.verified.append(True)
                except WebhookVerificationError:
                    receiver.verified.append(False)
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/simexit"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(transports: None) -> Iterator[Receiver]:
    use_transports(
        Transports(channels=local_sinks(), webhooks=HttpWebhookSender(timeout_seconds=5))
    )
    server = Receiver([500, 200])
    yield server
    server.close()


def _configure(db: Database, operator_id: uuid.UUID, url: str) -> None:
    with db.session() as session:
        session.add(
            WebhookEndpoint(
                operator_id=operator_id,
                url=url,
                events=[],
                secret=WEBHOOK_SECRET,
                created_at=utc_now(),
            )
        )


def test_500_then_200_is_one_delivery_with_two_attempts(
    db: Database, operator_id: uuid.UUID, receiver: Receiver
) -> None:
    # Real time here: the receiver checks the timestamp against its own clock.
    now = utc_now()
    _configure(db, operator_id, receiver.url)
    with db.session() as session:
        [delivery] = emit(
            session,
            now=now,
            operator_id=operator_id,
            event_type="case.approved",
            data={"case_id": "c-1", "reference": "NO-2026-000123"},
        )
        assert delivery.endpoint_id is not None
    run_pending(db, now=now, worker_id="w")
    run_pending(db, now=now + timedelta(seconds=30), worker_id="w")
    assert run_pending(db, now=now + timedelta(days=1), worker_id="w") == 0
    assert receiver.verified == [True, True]
    (first_headers, first_body), (second_headers, second_body) = receiver.received
    assert (
        first_headers["webhook-id"] == second_headers["webhook-id"]
    )  # receivers de-duplicate on it
    assert first_body == second_body
    assert json.loads(first_body) == {
        "type": "case.approved",
        "timestamp": now.astimezone(UTC).isoformat(),
        "data": {"case_id": "c-1", "reference": "NO-2026-000123"},
    }
    with db.read_session() as session:
        [stored] = session.scalars(select(WebhookDelivery)).all()
        assert (stored.status, stored.attempts, stored.last_status_code) == ("delivered", 2, 200)
        attempts = session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.attempt)).all()
        assert [(a.attempt, a.status_code, a.error) for a in attempts] == [
            (1, 500, "the endpoint answered HTTP 500"),
            (2, 200, None),
        ]
        assert all(a.duration_ms >= 0 for a in attempts)


def test_a_slow_receiver_does_not_hold_up_writes(
    db: Database, operator_id: uuid.UUID, transports: None
) -> None:
    """The POST runs with no transaction open: on SQLite, API writes don't wait for it."""
    use_transports(
        Transports(channels=local_sinks(), webhooks=HttpWebhookSender(timeout_seconds=30))
    )
    hold = threading.Event()
    slow = Receiver([200], hold=hold)
    now = utc_now()
    try:
        _configure(db, operator_id, slow.url)
        with db.session() as session:
            emit(session, now=now, operator_id=operator_id, event_type="case.completed", data={})
        worker = threading.Thread(target=run_pending, args=(db,), kwargs={"worker_id": "w"})
        worker.start()
        try:
            assert slow.arrived.wait(30)
            with db.session(wait=False) as session:  # WriterBusy if the POST held the lock
                operator = session.get(Operator, operator_id)
                assert operator is not None
                operator.name = "Fjord Mobil AS"
        finally:
            hold.set()
            worker.join(30)
    finally:
        slow.close()
    with db.read_session() as session:
        [stored] = session.scalars(select(WebhookDelivery)).all()
        assert (stored.status, stored.attempts, stored.last_status_code) == ("delivered", 1, 200)
        renamed = session.get(Operator, operator_id)
        assert renamed is not None
        assert renamed.name == "Fjord Mobil AS"


def test_no_webhook_endpoint_means_no_delivery(
    db: Database, operator_id: uuid.UUID, now: datetime
) -> None:
    with db.session() as session:
        assert (
            emit(session, now=now, operator_id=operator_id, event_type="case.failed", data={}) == []
        )


class TestSignatures:
    NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    BODY = '{"data":{"case_id":"c-1"},"type":"case.completed"}'

    def _headers(self) -> dict[str, str]:
        return signed_headers(
            WEBHOOK_SECRET, message_id="msg_1", timestamp=int(self.NOW.timestamp()), body=self.BODY
        )

    def test_matches_the_standard_webhooks_reference_vector(self) -> None:
        # The example from the Standard Webhooks specification.
        assert (
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
                timestamp=1614265330,
                body='{"test": 2432232314}',
            )
            == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        )

    def test_accepts_a_good_signature(self) -> None:
        verify_webhook_signature(
            secret=WEBHOOK_SECRET, headers=self._headers(), body=self.BODY, now=self.NOW
        )

    def test_accepts_any_of_several_signatures(self) -> None:
        headers = self._headers()
        headers["webhook-signature"] = "v1,bm90IGl0 " + headers["webhook-signature"]
        verify_webhook_signature(
            secret=WEBHOOK_SECRET, headers=headers, body=self.BODY, now=self.NOW
        )

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda h, b: (h, b.replace("c-1", "c-2")),
            lambda h, b: ({**h, "webhook-id": "msg_2"}, b),
            lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
            lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) - 600)}, b),
        ],
        ids=["body", "id", "missing-signature", "stale-timestamp"],
    )
    def test_refuses_tampering(
        self, tamper: Callable[[dict[str, str], str], tuple[dict[str, str], str]]
    ) -> None:
        headers, body = tamper(self._headers(), self.BODY)
        with pytest.raises(WebhookVerificationError):
            verify_webhook_signature(
                secret=WEBHOOK_SECRET, headers=headers, body=body, now=self.NOW
            )

    def test_refuses_another_secret(self) -> None:
        with pytest.raises(WebhookVerificationError):
            verify_webhook_signature(
                secret=generate_secret(), headers=self._headers(), body=self.BODY, now=self.NOW
            )
