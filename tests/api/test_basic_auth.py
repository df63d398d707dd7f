"""HTTP Basic with the API key as user name and an empty password works like the bearer key."""

from __future__ import annotations

import base64

import pytest

from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of


def _basic(user_and_password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user_and_password.encode()).decode()}


class TestBasicAuth:
    def test_key_as_user_name_reads_like_the_bearer_key(
        self, client: TestClient, demo: Demo
    ) -> None:
        key = demo.seed.api_keys["telenor-no"]
        with_basic = client.get("/v1/lines?limit=5", headers=_basic(f"{key}:"))
        with_bearer = client.get("/v1/lines?limit=5", headers=demo.telenor)
        assert with_basic.status_code == 200
        assert with_basic.json() == with_bearer.json()

    def test_key_as_user_name_writes(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        key = demo.seed.api_keys["telenor-no"]
        line = lines_of(runtime, "telenor-no", status="active")[0]
        answer = client.post(
            "/v1/cases",
            json={"line_id": str(line.id), "type": "terminate"},
            headers=_basic(f"{key}:"),
        )
        assert answer.status_code == 201, answer.text

    def test_a_password_is_refused(self, client: TestClient, demo: Demo) -> None:
        key = demo.seed.api_keys["telenor-no"]
        answer = client.get("/v1/lines", headers=_basic(f"{key}:secret"))
        assert answer.status_code == 401
        body = answer.json()
        assert body["code"] == "basic_password_not_empty"
        assert body["field"] == "header.Authorization"
        assert answer.headers["www-authenticate"].startswith("Basic")

    @pytest.mark.parametrize(
        "value",
        [
            "Basic !!!notbase64",
            "Basic " + base64.b64encode(b"nocolon").decode(),
            "Basic " + base64.b64encode(b":").decode(),
        ],
    )
    def test_malformed_credentials_are_refused(
        self, client: TestClient, demo: Demo, value: str
    ) -> None:
        answer = client.post(
            "/v1/cases", json={"line_id": "not-a-uuid"}, headers={"Authorization": value}
        )
        assert answer.status_code == 401
        assert answer.json()["code"] == "basic_credentials_malformed"

    def test_an_unknown_key_as_user_name_is_refused(self, client: TestClient, demo: Demo) -> None:
        answer = client.get("/v1/lines", headers=_basic("sx_bad_key:"))
        as_bearer = client.get("/v1/lines", headers={"Authorization": "Bearer sx_bad_key"})
        assert answer.status_code == as_bearer.status_code == 401
        assert answer.json()["code"] == as_bearer.json()["code"]
