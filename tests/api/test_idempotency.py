"""Idempotency-Key over HTTP: one store, scoped per caller, for every POST (case opening too)."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from simexit.api import idempotency
from simexit.api.app import create_app
from simexit.api.ratelimit import RateLimits
from simexit.models import AuditEvent, Case, IdempotencyKey, Line
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, lines_of


def _line(runtime: Runtime, channel: str) -> Line:
    """An active telenor line sold directly (the operator's) or through the reseller (its)."""
    return lines_of(runtime, "telenor-no", purchase_channel=channel, status="active")[0]


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def _count(runtime: Runtime, model: type[Any], *where: Any) -> int:
    with runtime.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _opened_events(runtime: Runtime, case_id: str) -> int:
    return _count(
        runtime,
        AuditEvent,
        AuditEvent.subject_id == case_id,
        AuditEvent.action == "case.opened",
    )


class TestKeysArePerCaller:
    def test_reseller_and_operator_use_one_key_on_different_lines(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        direct, sold = _line(runtime, "direct"), _line(runtime, "reseller")
        by_operator = client.post(
            "/v1/cases", json={"line_id": str(direct.id)}, headers=_keyed(demo.telenor, "order-1")
        )
        by_reseller = client.post(
            "/v1/cases", json={"line_id": str(sold.id)}, headers=_keyed(demo.reseller, "order-1")
        )
        assert by_operator.status_code == 201, by_operator.text
        assert by_reseller.status_code == 201, by_reseller.text
        assert "idempotent-replayed" not in by_reseller.headers
        assert by_reseller.json()["id"] != by_operator.json()["id"]
        assert by_reseller.json()["line_id"] == str(sold.id)
        with runtime.db.read_session() as session:
            keys = set(session.scalars(select(Case.idempotency_key)))
        assert keys == {"order-1"}  # recorded on both cases, unique to neither

    def test_operators_use_one_key_each(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        telenor = _line(runtime, "direct")
        att = lines_of(runtime, "att-us", status="active")[0]
        for headers, line in ((demo.telenor, telenor), (demo.att, att)):
            response = client.post(
                "/v1/cases",
                json={"line_id": str(line.id), "type": "suspend"},
                headers=_keyed(headers, "same"),
            )
            assert response.status_code == 201, response.text
        assert _count(runtime, IdempotencyKey, IdempotencyKey.key == "same") == 2


class TestReplay:
    def test_same_caller_gets_the_same_case_and_status_and_no_second_effect(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = _line(runtime, "reseller")
        body = {"line_id": str(line.id), "reason": "moving"}
        first = client.post("/v1/cases", json=body, headers=_keyed(demo.reseller, "r-1"))
        again = client.post("/v1/cases", json=body, headers=_keyed(demo.reseller, "r-1"))
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert first.headers["location"].endswith(f"/v1/cases/{first.json()['id']}")
        assert again.headers["location"] == first.headers["location"]  # a replay is the same 201
        assert _count(runtime, Case, Case.line_id == line.id) == 1
        assert _opened_events(runtime, first.json()["id"]) == 1

    def test_a_stored_200_replays_as_200(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = _line(runtime, "direct")
        body = {"line_id": str(line.id)}
        opened = client.post("/v1/cases", json=body, headers=demo.telenor)
        existing = client.post("/v1/cases", json=body, headers=_keyed(demo.telenor, "k"))
        replay = client.post("/v1/cases", json=body, headers=_keyed(demo.telenor, "k"))
        assert (opened.status_code, existing.status_code, replay.status_code) == (201, 200, 200)
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["id"] == opened.json()["id"]

    def test_a_refusal_rolls_back_with_its_key_and_runs_again(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        headers = _keyed(demo.telenor, "missing")
        body = {"line_id": str(uuid.UUID(int=1))}
        assert client.post("/v1/cases", json=body, headers=headers).status_code == 404
        again = client.post("/v1/cases", json=body, headers=headers)
        assert again.status_code == 404
        assert "idempotent-replayed" not in again.headers
        assert _count(runtime, IdempotencyKey) == 0


class TestSameKeyOtherRequest:
    def test_other_body_is_422_naming_the_header_and_rule(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        first, second = lines_of(runtime, "telenor-no", status="active")[:2]
        headers = _keyed(demo.telenor, "k-body")
        client.post("/v1/cases", json={"line_id": str(first.id)}, headers=headers)
        other = client.post("/v1/cases", json={"line_id": str(second.id)}, headers=headers)
        assert other.status_code == 422
        problem = other.json()
        assert problem["code"] == "idempotency_key_reused"
        assert problem["field"] == "Idempotency-Key"
        assert problem["ttl_hours"] == 24
        assert "24 hours" in problem["detail"]
        assert _count(runtime, Case, Case.line_id == second.id) == 0

    def test_other_endpoint_is_the_same_422(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        headers = _keyed(demo.telenor, "k-path")
        case = client.post(
            "/v1/cases", json={"line_id": str(_line(runtime, "direct").id)}, headers=headers
        ).json()
        withdraw = client.post(f"/v1/cases/{case['id']}/withdraw", json={}, headers=headers)
        assert withdraw.status_code == 422
        assert withdraw.json()["code"] == "idempotency_key_reused"
        assert client.get(f"/v1/cases/{case['id']}", headers=demo.telenor).json()["status"] == (
            "draft"
        )

    def test_the_detail_is_in_the_callers_language(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        first, second = lines_of(runtime, "telenor-no", status="active")[:2]
        headers = {**_keyed(demo.telenor, "k-nb"), "Accept-Language": "nb"}
        client.post("/v1/cases", json={"line_id": str(first.id)}, headers=headers)
        other = client.post("/v1/cases", json={"line_id": str(second.id)}, headers=headers)
        assert other.json()["detail"].startswith("Du har brukt denne Idempotency-Key")
        assert "24 timene" in other.json()["detail"]


class TestExpiry:
    def _client_at(self, runtime: Runtime, hours: float) -> TestClient:
        app = create_app(
            runtime, clock=lambda: NOW + timedelta(hours=hours), rate_limits=RateLimits()
        )
        return TestClient(app)

    def test_a_key_replays_until_its_ttl_and_is_free_after(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        first, second = lines_of(runtime, "telenor-no", status="active")[:2]
        headers = _keyed(demo.telenor, "k-ttl")
        opened = client.post("/v1/cases", json={"line_id": str(first.id)}, headers=headers)
        just_before = idempotency.TTL_HOURS - 1 / 3600
        with self._client_at(runtime, just_before) as late:
            other = late.post("/v1/cases", json={"line_id": str(second.id)}, headers=headers)
        assert other.status_code == 422
        with self._client_at(runtime, idempotency.TTL_HOURS) as expired:
            reused = expired.post("/v1/cases", json={"line_id": str(second.id)}, headers=headers)
        assert reused.status_code == 201, reused.text
        assert "idempotent-replayed" not in reused.headers
        assert reused.json()["id"] != opened.json()["id"]
        with runtime.db.read_session() as session:
            rows = session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == "k-ttl"))
            assert [r.expires_at for r in rows] == [
                NOW + timedelta(hours=2 * idempotency.TTL_HOURS)
            ]


class TestConcurrentClients:
    def test_ten_clients_with_one_key_open_one_case(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = _line(runtime, "reseller")
        body = {"line_id": str(line.id), "type": "suspend"}
        headers = _keyed(demo.reseller, "race-10")
        barrier = threading.Barrier(10)
        answers: list[tuple[int, dict[str, Any]]] = []
        lock = threading.Lock()

        def call() -> None:
            barrier.wait()
            response = client.post("/v1/cases", json=body, headers=headers)
            with lock:
                answers.append((response.status_code, response.json()))

        threads = [threading.Thread(target=call) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(answers) == 10
        assert {status for status, _ in answers} <= {201, 409}
        created = [answer for status, answer in answers if status == 201]
        assert created
        assert len({answer["id"] for answer in created}) == 1
        assert all(
            answer["code"] == "idempotency_in_progress"
            for status, answer in answers
            if status == 409
        )
        assert _count(runtime, Case, Case.line_id == line.id) == 1
        assert _count(runtime, IdempotencyKey, IdempotencyKey.key == "race-10") == 1
        assert _opened_events(runtime, created[0]["id"]) == 1


@pytest.fixture
def openapi(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_every_post_takes_the_one_key(openapi: dict[str, Any]) -> None:
    """Every POST goes through `api.transaction`, which is where the header comes from; a POST
    that did its own writes would not list it."""
    posts = {
        path: operation
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method == "post"
    }
    assert len(posts) >= 15
    for path, operation in posts.items():
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], path
        assert "per caller" in headers[0]["description"], path
