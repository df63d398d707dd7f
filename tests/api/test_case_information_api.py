"""Information required over HTTP: an agent's key asks, the answer is a multipart upload checked
by its bytes and size; refusals name the field and the rule; another operator's case is 404."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from simexit.api.app import create_app
from simexit.api.ratelimit import RateLimits
from simexit.cases.states import CaseStatus
from simexit.config import Environment, Settings
from simexit.db import Database
from simexit.models import Case
from simexit.runtime import Runtime
from tests.api.conftest import NOW, SECRET, Demo, TestClient, lines_of

PDF = b"%PDF-1.4\n% a tiny document\n%%EOF\n"


@pytest.fixture
def runtime(db: Database, tmp_path: Path) -> Runtime:
    runtime = Runtime(
        Settings(
            database_url=db.url,
            secret_key=SecretStr(SECRET),
            env=Environment.test,
            attachment_dir=tmp_path / "files",
            attachment_max_bytes=2048,
        )
    )
    runtime.__dict__["db"] = db
    return runtime


@pytest.fixture
def app(runtime: Runtime, demo: Demo) -> FastAPI:
    return create_app(runtime, clock=lambda: NOW, rate_limits=RateLimits())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _case_in_review(client: TestClient, runtime: Runtime, demo: Demo) -> str:
    line = lines_of(runtime, "telenor-no", status="active")[0]
    opened = client.post("/v1/cases", json={"line_id": str(line.id)}, headers=demo.telenor)
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["id"]
    with runtime.db.session() as session:
        case = session.get(Case, uuid.UUID(case_id))
        assert case is not None
        case.status, case.sla_due_date = CaseStatus.in_review, NOW.date() + timedelta(days=5)
    return case_id


def _ask(client: TestClient, demo: Demo, case_id: str) -> dict[str, object]:
    asked = client.post(
        f"/v1/cases/{case_id}/information-request",
        json={
            "kind": "purchase_proof",
            "message": "Please send the receipt of the phone.",
            "due_date": (NOW.date() + timedelta(days=7)).isoformat(),
        },
        headers=demo.telenor,
    )
    assert asked.status_code == 200, asked.text
    body: dict[str, object] = asked.json()
    return body


def test_ask_then_answer_with_a_pdf(client: TestClient, runtime: Runtime, demo: Demo) -> None:
    case_id = _case_in_review(client, runtime, demo)
    assert _ask(client, demo, case_id)["status"] == "information_required"
    answered = client.post(
        f"/v1/cases/{case_id}/information",
        data={"text": "Attached."},
        files={"file": ("receipt.pdf", PDF, "application/pdf")},
        headers=demo.telenor,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "in_review"


@pytest.mark.parametrize(
    ("content", "rule"),
    [(b"MZ\x90\x00 not a pdf", "file_type_not_allowed"), (PDF + b" " * 4096, "file_too_large")],
)
def test_bad_type_or_size_is_422_naming_the_field_and_rule(
    client: TestClient, runtime: Runtime, demo: Demo, content: bytes, rule: str
) -> None:
    case_id = _case_in_review(client, runtime, demo)
    _ask(client, demo, case_id)
    refused = client.post(
        f"/v1/cases/{case_id}/information",
        files={"file": ("id.pdf", content, "application/pdf")},
        headers=demo.telenor,
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["code"] == rule
    assert problem["field"] == "file"


def test_a_due_date_in_the_past_is_refused_by_name(
    client: TestClient, runtime: Runtime, demo: Demo
) -> None:
    case_id = _case_in_review(client, runtime, demo)
    refused = client.post(
        f"/v1/cases/{case_id}/information-request",
        json={"kind": "id_copy", "message": "x", "due_date": NOW.date().isoformat()},
        headers=demo.telenor,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "information_due_date_invalid"


def test_another_operators_case_is_404(client: TestClient, runtime: Runtime, demo: Demo) -> None:
    case_id = _case_in_review(client, runtime, demo)
    asked = client.post(
        f"/v1/cases/{case_id}/information-request",
        json={"kind": "id_copy", "message": "x", "due_date": "2026-12-01"},
        headers=demo.att,
    )
    assert asked.status_code == 404
    answered = client.post(
        f"/v1/cases/{case_id}/information", data={"text": "hi"}, headers=demo.att
    )
    assert answered.status_code == 404


def test_answering_a_case_not_waiting_is_409(
    client: TestClient, runtime: Runtime, demo: Demo
) -> None:
    case_id = _case_in_review(client, runtime, demo)
    answered = client.post(
        f"/v1/cases/{case_id}/information", data={"text": "hi"}, headers=demo.telenor
    )
    assert answered.status_code == 409
