"""Bodies are refused before parsing when too large (413) or when JSON is not UTF-8 (415)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from simexit.api.body_guard import declared_charset
from simexit.models import Case
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of

LIMIT = 1024 * 1024  # the setting's default, which the test runtime keeps


def _case_count(runtime: Runtime) -> int:
    with runtime.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_a_declared_length_over_the_limit_is_413_and_opens_nothing(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line = lines_of(runtime, "telenor-no")[0]
    padding = "x" * (10 * LIMIT)
    body = json.dumps({"line_id": str(line.id), "comment": padding}).encode()
    before = _case_count(runtime)
    response = client.post(
        "/v1/cases",
        content=body,
        headers={**demo.telenor, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    problem = response.json()
    assert problem["code"] == "body_too_large"
    assert str(LIMIT) in problem["detail"]
    assert response.headers["x-request-id"]
    assert _case_count(runtime) == before


def test_a_chunked_body_is_cut_off_when_it_passes_the_limit(client: TestClient, demo: Demo) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"comment": "'
        for _ in range(40):
            sent += 64 * 1024
            yield b"y" * (64 * 1024)
        yield b'"}'

    response = client.post(
        "/v1/cases",
        content=chunks(),
        headers={**demo.telenor, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_valid_json_followed_by_padding_past_the_limit_opens_no_case(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    """The first megabyte is a complete, valid request; the body goes on. Nothing may run."""
    line = lines_of(runtime, "telenor-no", status="active")[0]
    before = _case_count(runtime)

    def chunks() -> Iterator[bytes]:
        yield json.dumps({"line_id": str(line.id)}).encode()
        for _ in range(40):
            yield b" " * (64 * 1024)

    response = client.post(
        "/v1/cases",
        content=chunks(),
        headers={**demo.telenor, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _case_count(runtime) == before


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16"])
def test_json_in_another_charset_is_415(client: TestClient, demo: Demo, charset: str) -> None:
    response = client.post(
        "/v1/cases",
        content=b"{}",
        headers={**demo.telenor, "Content-Type": f"application/json; charset={charset}"},
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_charset"


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"', "utf8"])
def test_utf8_json_is_read(client: TestClient, demo: Demo, runtime: Runtime, charset: str) -> None:
    line = lines_of(runtime, "telenor-no", status="active")[0]
    response = client.post(
        "/v1/cases",
        content=json.dumps({"line_id": str(line.id), "comment": "Ærlig talt, 注销"}).encode(),
        headers={**demo.telenor, "Content-Type": f"application/json; charset={charset}"},
    )
    assert response.status_code == 201, response.text


def test_charset_parameter_is_read_from_any_position() -> None:
    assert declared_charset("application/json") is None
    assert declared_charset("application/json; charset=UTF-8") == "utf-8"
    assert declared_charset('application/json;foo=bar; Charset="latin-1"') == "latin-1"
