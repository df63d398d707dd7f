"""Write responses are serialized by pydantic straight to bytes (`RenderedJSONResponse`); they must
be the bytes `JSONResponse` would have sent for the same model. A keyed request still renders the
dict it stores (and replays it)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from simexit.api.transaction import RenderedJSONResponse
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of


class Colour(StrEnum):
    red = "red"


class Inner(BaseModel):
    code: str
    params: dict[str, Any]


class Sample(BaseModel):
    id: uuid.UUID
    at: datetime
    day: date | None
    colour: Colour
    text: str
    items: list[Inner]
    none: str | None


def test_the_bytes_are_those_of_json_response() -> None:
    sample = Sample(
        id=uuid.UUID("6f1c2a8e-0d5b-4c1e-9a53-2f7d1b0c9e44"),
        at=datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
        day=date(2026, 2, 28),
        colour=Colour.red,
        text='æøå «прощай» 再见 "quoted" back\\slash\ttab\nline\x00\x1f\x7f \u2028 😀 </script>',
        items=[Inner(code="x", params={"n": 3, "ok": True, "s": "ø", "nested": [1, None]})],
        none=None,
    )
    expected = JSONResponse(sample.model_dump(mode="json"), status_code=201, headers={"A": "b"})
    rendered = RenderedJSONResponse(
        sample.model_dump_json().encode(), status_code=201, headers={"A": "b"}
    )
    assert rendered.body == expected.body
    assert rendered.raw_headers == expected.raw_headers
    assert rendered.status_code == 201


def test_keyed_and_unkeyed_writes_send_the_same_body(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line = lines_of(runtime, "telenor-no", status="active")[0]
    body = {"line_id": str(line.id), "type": "terminate"}
    first = client.post("/v1/cases", json=body, headers={**demo.telenor, "Idempotency-Key": "k1"})
    replay = client.post("/v1/cases", json=body, headers={**demo.telenor, "Idempotency-Key": "k1"})
    unkeyed = client.post("/v1/cases", json=body, headers=demo.telenor)  # the open case again
    assert first.status_code == 201
    assert replay.json() == first.json()
    assert unkeyed.status_code == 200
    assert unkeyed.headers["content-type"] == first.headers["content-type"] == "application/json"
    # Equal as JSON, not bytes: a case read back from PostgreSQL's jsonb has its preview's keys
    # in jsonb's order, not in the order they were written.
    assert unkeyed.json() == first.json()


def test_write_routes_document_the_one_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert list(schema["components"]["securitySchemes"]) == ["HTTPBearer"]
    for path, method in (
        ("/v1/cases", "post"),
        ("/v1/cases/{case_id}/submit", "post"),
        ("/v1/cases/{case_id}/verification", "post"),
        ("/v1/cases", "get"),
    ):
        assert schema["paths"][path][method]["security"] == [{"HTTPBearer": []}], (path, method)
