"""An app over the demo data on each back end, with keys for every kind of caller."""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from simexit.api.app import create_app
from simexit.api.ratelimit import RateLimits
from simexit.config import Environment, Settings
from simexit.db import Database
from simexit.models import Line, Notification, Operator
from simexit.runtime import Runtime
from simexit.seed.demo import SeedResult, seed_demo
from simexit.verification.codes import CODE_PLACEHOLDER, derive_code

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx 0.28 works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient as TestClient

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SECRET = "test-secret-key-0123456789abcdef0123"


def build_runtime(db: Database) -> Runtime:
    runtime = Runtime(
        Settings(database_url=db.url, secret_key=SecretStr(SECRET), env=Environment.test)
    )
    runtime.__dict__["db"] = db
    return runtime


@dataclass
class Demo:
    seed: SeedResult
    operator_ids: dict[str, uuid.UUID]

    def key(self, operator_code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.seed.api_keys[operator_code]}"}

    @property
    def telenor(self) -> dict[str, str]:
        return self.key("telenor-no")

    @property
    def att(self) -> dict[str, str]:
        return self.key("att-us")

    @property
    def reseller(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.seed.reseller_key}"}


@pytest.fixture
def runtime(db: Database) -> Runtime:
    return build_runtime(db)


@pytest.fixture
def demo(runtime: Runtime) -> Demo:
    with runtime.db.session() as session:
        seed = seed_demo(session, packs=runtime.packs, now=NOW, password_hash="not-a-real-hash")
        ids = {o.code: o.id for o in session.scalars(select(Operator))}
    return Demo(seed, ids)


@pytest.fixture
def app(runtime: Runtime, demo: Demo) -> FastAPI:
    return create_app(runtime, clock=lambda: NOW, rate_limits=RateLimits())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def lines_of(runtime: Runtime, operator_code: str, **filters: object) -> list[Line]:
    with runtime.db.read_session() as session:
        statement = (
            select(Line)
            .join(Operator, Operator.id == Line.operator_id)
            .where(Operator.code == operator_code)
        )
        for name, value in filters.items():
            statement = statement.where(getattr(Line, name) == value)
        return list(session.scalars(statement.order_by(Line.msisdn)))


def latest_code(runtime: Runtime) -> str:
    """The newest one-time code, derived as the delivery job does from the server secret and
    the verification: the notification the service queued (the local sink) holds a placeholder."""
    with runtime.db.read_session() as session:
        row = session.scalars(
            select(Notification)
            .where(Notification.kind == "verification.code")
            .order_by(Notification.created_at.desc())
        ).first()
    assert row is not None
    assert CODE_PLACEHOLDER in row.body_text
    assert not re.search(r"\d{6}", row.body_text)
    return derive_code(runtime.settings.secret_key.get_secret_value().encode(), row.subject_id)
