"""Security headers, https only from a trusted proxy, and /metrics behind its own token."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from simexit.api.app import create_app
from simexit.config import Environment
from simexit.runtime import Runtime
from tests.api.conftest import NOW, TestClient


def _client(runtime: Runtime, **settings: object) -> TestClient:
    runtime.settings = runtime.settings.model_copy(update=settings)
    return TestClient(create_app(runtime, clock=lambda: NOW))


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_cannot_be_framed(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_json_answers_are_nosniff_and_hsts_only_over_https(runtime: Runtime) -> None:
    with TestClient(create_app(runtime, clock=lambda: NOW)) as plain:
        response = plain.get("/healthz")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers
    app = create_app(runtime, clock=lambda: NOW)
    with TestClient(app, base_url="https://simexit.example") as secure:
        assert secure.get("/healthz").headers["strict-transport-security"].startswith("max-age=")


def test_metrics_need_the_token_when_one_is_set(runtime: Runtime) -> None:
    with _client(runtime, metrics_token=SecretStr("scrape-me")) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "unauthenticated_metrics"
        right = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert right.status_code == 200
        assert "simexit_" in right.text


@pytest.mark.parametrize("env", [Environment.staging, Environment.production])
def test_metrics_without_a_token_are_not_served_outside_local_and_test(
    runtime: Runtime, env: Environment
) -> None:
    with _client(runtime, env=env, secret_key=SecretStr("x" * 40)) as client:
        assert client.get("/metrics").status_code == 404
