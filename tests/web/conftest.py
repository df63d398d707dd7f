from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from simexit.config import Settings
from simexit.db import Database
from simexit.models import Line, Operator
from simexit.runtime import Runtime
from simexit.seed.demo import seed_demo
from simexit.web.app import create_web_app
from tests.web.client import WebClient, latest_code


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
