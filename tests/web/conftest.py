from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from simexit.config import Settings
from simexit.db import Database
from simexit.models import Line, Operator
from simexit.notifications.channels import EmailChannel, SmsChannel
from simexit.notifications.ports import ChannelRegistry, OutgoingSms, SendReceipt, Transports
from simexit.notifications.tasks import current_transports, use_transports
from simexit.runtime import Runtime
from simexit.seed.demo import seed_demo
from simexit.web.app import create_web_app
from tests.web.client import WEB_TEST_SECRET, WebClient, latest_code


@pytest.fixture
def runtime(db: Database) -> Runtime:
    rt = Runtime(Settings(database_url=db.url, secret_key="test-secret-key-for-the-web-tests-000"))  # type: ignore[arg-type]
    rt.__dict__["db"] = db
    with db.session() as session:
        seed_demo(
            session,
            packs=rt.packs,
            now=datetime.now(UTC),
            password_hash=rt.passwords.hash("demo-password"),
        )
    return rt


@pytest.fixture
def client(runtime: Runtime) -> Iterator[WebClient]:
    web = WebClient(create_web_app(runtime))
    yield web
    web.close()


def web_line(runtime: Runtime, operator_code: str = "ice-no") -> Line:
    with runtime.db.read_session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        return session.scalars(
            select(Line).where(
                Line.operator_id == operator.id,
                Line.kind == "physical_sim",
                Line.plan == "prepaid",
                Line.status == "active",
            )
        ).first()  # type: ignore[return-value]


def sign_in(client: WebClient, runtime: Runtime, msisdn: str) -> None:
    response = client.submit("/login", "/login", {"identifier": msisdn})
    assert response.status_code == 303
    response = client.submit(
        "/login/code", "/login/code", {"code": latest_code(runtime.db, msisdn)}
    )
    assert response.status_code == 303, response.text


def staff_sign_in(client: WebClient, email: str) -> None:
    response = client.submit(
        "/console/login", "/console/login", {"email": email, "password": "demo-password"}
    )
    assert response.status_code == 303, response.text


class CapturedSms:
    """A test-only SMS transport: what it was handed is what the subscriber would get."""

    name = "captured"

    def __init__(self) -> None:
        self.sent: list[OutgoingSms] = []

    def send(self, message: OutgoingSms) -> SendReceipt:
        self.sent.append(message)
        return SendReceipt("accepted")


@pytest.fixture
def captured() -> Iterator[CapturedSms]:
    previous, sms = current_transports(), CapturedSms()
    use_transports(
        Transports(
            channels=ChannelRegistry([EmailChannel(), SmsChannel(sms)]),
            code_secret=WEB_TEST_SECRET.encode(),
        )
    )
    yield sms
    use_transports(previous)
