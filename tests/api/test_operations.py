"""Health, readiness, metrics, request ids, languages, the OpenAPI contract, and no 500s."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from sqlalchemy import update

from simexit.api.app import create_app
from simexit.api.messages import CATALOG, LANGUAGES
from simexit.clock import utc_now
from simexit.jobs import enqueue
from simexit.models import Job, JobStatus
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient


class TestHealth:
    def test_healthz_and_readyz(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "migrations": "at head"}

    def test_metrics_by_route_template(self, client: TestClient, demo: Demo) -> None:
        client.get("/v1/operators", headers=demo.telenor)
        client.get("/v1/cases/00000000-0000-4000-8000-000000000000", headers=demo.telenor)
        text = client.get("/metrics").text
        assert (
            'simexit_http_requests_total{method="GET",route="/v1/operators",status="200"} 1.0'
            in text
        )
        assert 'route="/v1/cases/{case_id}",status="404"' in text
        assert "simexit_http_request_duration_seconds_bucket" in text
        assert "# TYPE simexit_cases gauge" in text

    def test_the_job_queue_and_its_lag(self, client: TestClient, runtime: Runtime) -> None:
        now = utc_now()
        with runtime.db.session() as session:
            session.execute(update(Job).values(status="done"))  # whatever the demo queued
            enqueue(session, "tests.metrics_probe", now=now, run_at=now - timedelta(seconds=90))
            enqueue(session, "tests.metrics_probe", now=now, run_at=now + timedelta(hours=1))
            dead = enqueue(session, "tests.metrics_probe", now=now, dedup_key="dead-one")
            dead.status = JobStatus.dead
            session.add(dead)
        text = client.get("/metrics").text
        assert 'simexit_jobs{name="tests.metrics_probe",status="queued"} 2.0' in text
        assert 'simexit_jobs{name="tests.metrics_probe",status="dead"} 1.0' in text
        assert 'status="done"' not in text
        [lag] = [
            line
            for line in text.splitlines()
            if line.startswith("simexit_jobs_oldest_due_seconds ")
        ]
        assert 90 <= float(lag.split()[1]) < 3600  # the overdue job, not the future one


class TestRequestIds:
    def test_echoed_or_generated(self, client: TestClient) -> None:
        assert (
            client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
            == "abc-123"
        )
        generated = client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"}).headers[
            "x-request-id"
        ]
        assert generated != "bad id\twith junk"
        assert len(generated) == 32


class TestErrors:
    def test_unknown_route_is_a_problem_in_the_callers_language(self, client: TestClient) -> None:
        response = client.get("/v1/nowhere", headers={"Accept-Language": "nb-NO,nb;q=0.9"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == CATALOG["not_found"]["nb"]
        assert response.headers["content-language"] == "nb"

    def test_garbage_accept_language_falls_back_to_english(self, client: TestClient) -> None:
        response = client.get("/v1/nowhere", headers={"Accept-Language": ";;q=x,,*"})
        assert response.json()["detail"] == CATALOG["not_found"]["en"]

    def test_every_message_exists_in_every_language(self) -> None:
        for code, entry in CATALOG.items():
            assert set(entry) == set(LANGUAGES), code

    def test_a_crash_is_a_generic_problem_with_the_request_id(
        self, runtime: Runtime, demo: Demo
    ) -> None:
        app = create_app(runtime, clock=lambda: NOW)
        boom = APIRouter()

        @boom.get("/v1/_boom")
        def explode() -> None:
            raise RuntimeError("secret internals")

        app.include_router(boom)
        with TestClient(app) as client:
            response = client.get("/v1/_boom", headers={"X-Request-ID": "req-1"})
        assert response.status_code == 500
        assert response.json()["code"] == "internal_error"
        assert "secret" not in response.text
        assert response.headers["x-request-id"] == "req-1"


class TestOpenApi:
    def test_problems_are_documented_as_problem_json(self, client: TestClient) -> None:
        schema = client.get("/openapi.json").json()
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                for status, response in operation["responses"].items():
                    if int(status) >= 400:
                        assert list(response["content"]) == ["application/problem+json"], (
                            path,
                            method,
                            status,
                        )
                if path.startswith("/v1/"):
                    assert "401" in operation["responses"], (path, method)
        links = schema["paths"]["/v1/cases"]["post"]["responses"]["201"]["links"]
        assert links["GetCase"]["operationId"] == "get_case"


def test_spelled_out_choices_match_the_domain() -> None:
    from typing import get_args

    from simexit.api.v1.schemas import AttestedMethod, CodeMethod, RejectionReason
    from simexit.cases.service.review import REJECTION_REASONS
    from simexit.verification.methods import ATTESTED_METHODS, CODE_METHODS

    assert set(get_args(RejectionReason)) == REJECTION_REASONS
    assert set(get_args(CodeMethod)) == {m.value for m in CODE_METHODS}
    assert set(get_args(AttestedMethod)) == {m.value for m in ATTESTED_METHODS}
