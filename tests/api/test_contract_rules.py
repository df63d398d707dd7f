"""The OpenAPI document declares the rules the server enforces, with examples that pass them.

A rule the contract omits makes clients and fuzzers send requests the server must refuse; an
example that fails its own check (the ICCID example failed the Luhn check) teaches the error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from stdnum import luhn

from simexit.api.v1.paging import CURSOR_PATTERN
from simexit.api.validators import (
    DATE_PATTERN,
    E164_FORMAT,
    E164_PATTERN,
    EARLIEST_DATE,
    ICCID_FORMAT,
    ICCID_PATTERN,
    LATEST_DATE,
    TIMESTAMP_PATTERN,
    _printable,
)
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of


def _schemas_named(document: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    for schema in document["components"]["schemas"].values():
        prop = schema.get("properties", {}).get(name)
        if prop is not None:
            yield from prop.get("anyOf", [prop])


def test_every_iccid_example_passes_the_luhn_check(app: FastAPI) -> None:
    examples = [
        example
        for schema in _schemas_named(app.openapi(), "iccid")
        for example in schema.get("examples", [])
    ]
    assert examples
    for example in examples:
        assert luhn.is_valid(example), example


def test_free_text_fields_declare_the_control_character_rule(app: FastAPI) -> None:
    patterns = {
        schema.get("pattern")
        for name in ("note", "comment")
        for schema in _schemas_named(app.openapi(), name)
        if schema.get("type") == "string" and "maxLength" in schema  # inputs, not answers
    }
    assert len(patterns) == 1
    (pattern,) = patterns
    assert pattern is not None
    declared = re.compile(pattern)
    for text in ("plain", "tab\tand\nnewline", "\x01", "bell\x07", "esc\x1b"):
        enforced = True
        try:
            _printable(text)
        except ValueError:
            enforced = False
        assert bool(declared.match(text)) == enforced, repr(text)


def _parameter(app: FastAPI, path: str, name: str) -> dict[str, Any]:
    operation = app.openapi()["paths"][path]["get"]
    (found,) = [p for p in operation["parameters"] if p["name"] == name]
    schema: dict[str, Any] = found["schema"]
    return schema


def test_the_cursor_parameter_declares_its_format(app: FastAPI) -> None:
    # On the parameter's schema: a pattern constrains strings only, so null still passes.
    assert _parameter(app, "/v1/cases", "cursor")["pattern"] == CURSOR_PATTERN


@pytest.mark.parametrize(
    "cursor",
    [
        "0000000000000000-00000000000000000000000000000000",
        "9999999999999999-ffffffffffffffffffffffffffffffff",
        "1795000000000000-0123456789abcdef0123456789abcdef",
    ],
)
def test_every_cursor_the_pattern_allows_is_accepted(
    client: TestClient, demo: Demo, cursor: str
) -> None:
    """The old cursor (base64 of JSON) matched its pattern and was refused unless the API had
    made it: schemathesis' "valid request rejected". Now the pattern is the whole rule."""
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    response = client.get("/v1/cases", params={"cursor": cursor}, headers=demo.telenor)
    assert response.status_code == 200, response.text


def test_a_cursor_the_api_gave_pages_on(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    for line in lines_of(runtime, "telenor-no", status="active")[:3]:
        client.post(
            "/v1/cases", json={"line_id": str(line.id), "type": "suspend"}, headers=demo.telenor
        )
    first = client.get("/v1/cases", params={"limit": 2}, headers=demo.telenor).json()
    assert re.fullmatch(CURSOR_PATTERN, first["next_cursor"])
    second = client.get(
        "/v1/cases", params={"limit": 2, "cursor": first["next_cursor"]}, headers=demo.telenor
    ).json()
    seen = [c["id"] for c in first["items"]] + [c["id"] for c in second["items"]]
    assert len(seen) == len(set(seen)) == 3


def test_the_find_lines_number_declares_the_e164_pattern(app: FastAPI) -> None:
    """`Query(description=...)` around the E164 type dropped its `pattern=`."""
    msisdn = _parameter(app, "/v1/lines", "msisdn")
    assert msisdn["pattern"] == E164_PATTERN
    assert msisdn["format"] == E164_FORMAT


@pytest.mark.parametrize("number", ["+47 912 34 567", "+4791234567 "])
def test_the_server_holds_to_the_declared_e164_pattern(
    client: TestClient, demo: Demo, number: str
) -> None:
    assert not re.fullmatch(E164_PATTERN, number)
    response = client.get("/v1/lines", params={"msisdn": number}, headers=demo.telenor)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "e164"


def test_iccids_declare_their_checksum_format(app: FastAPI) -> None:
    iccids = [s for s in _schemas_named(app.openapi(), "iccid") if "examples" in s]
    assert iccids
    for iccid in iccids:
        assert iccid["format"] == ICCID_FORMAT
        assert iccid["pattern"] == ICCID_PATTERN


def _date_fields(app: FastAPI) -> list[dict[str, Any]]:
    document = app.openapi()
    found = [
        schema
        for name in ("requested_date", "suspend_until")
        for schema in _schemas_named(document, name)
        if schema.get("format") == "date" and "description" in schema  # inputs, not answers
    ]
    operation = document["paths"]["/v1/cases"]["get"]
    (due,) = [p for p in operation["parameters"] if p["name"] == "due_before"]
    found += [s for s in due["schema"]["anyOf"] if s.get("type") == "string"]
    return found


def test_date_inputs_declare_the_range(app: FastAPI) -> None:
    fields = _date_fields(app)
    assert len(fields) >= 3
    declared = {schema.get("pattern") for schema in fields}
    assert declared == {DATE_PATTERN}
    pattern = re.compile(DATE_PATTERN)
    for day, accepted in [
        ("1999-12-31", False),
        (str(EARLIEST_DATE), True),
        (str(LATEST_DATE), True),
        ("2100-01-01", False),
        ("9294-07-18", False),
    ]:
        assert bool(pattern.match(day)) is accepted, day


def test_timestamp_inputs_declare_the_range(app: FastAPI) -> None:
    declared = {
        schema.get("pattern")
        for name in ("returned_at", "completed_at", "at")
        for schema in _schemas_named(app.openapi(), name)
        if schema.get("format") == "date-time" and "examples" in schema  # inputs, not answers
    }
    assert declared == {TIMESTAMP_PATTERN}


@pytest.mark.parametrize(
    "at",
    [
        "2000-01-01T00:00:00+14:00",  # 1999-12-31 in UTC: dated as written
        "2099-12-31T23:59:59-12:00",  # 2100-01-01 in UTC
        "2026-11-20t08:00:00z",
        "2026-11-20T08:00:00.123456+01:00",
    ],
)
def test_every_time_the_pattern_allows_is_accepted(
    client: TestClient, demo: Demo, runtime: Runtime, at: str
) -> None:
    """The range was checked on the UTC date, which the pattern on the written year cannot
    express: 2000-01-01T00:00:00+14:00 matched the contract and was refused."""
    assert re.fullmatch(TIMESTAMP_PATTERN, at)
    port_out = client.post(
        "/v1/port-outs",
        json={
            "msisdn": lines_of(runtime, "telenor-no", status="active")[0].msisdn,
            "recipient_operator": "Telia",
        },
        headers=demo.telenor,
    ).json()
    response = client.post(
        f"/v1/port-outs/{port_out['id']}/complete", json={"completed_at": at}, headers=demo.telenor
    )
    # Past the contract, the port's own rule refuses a time outside the port's life (before
    # its request, or in the future): the domain's answer naming the field, not a range error.
    assert response.status_code in {200, 422}, response.text
    if response.status_code == 422:
        assert response.json()["field"] == "completed_at", response.text
        assert response.json()["code"] in {
            "port_completed_at_in_future",
            "port_completed_before_request",
        }, response.text


@pytest.mark.parametrize("at", ["1999-12-31T23:59:59Z", "2100-01-01T00:00:00+14:00"])
def test_a_time_outside_the_pattern_is_refused(client: TestClient, demo: Demo, at: str) -> None:
    assert not re.fullmatch(TIMESTAMP_PATTERN, at)
    response = client.post(
        "/v1/port-outs/00000000-0000-0000-0000-000000000000/complete",
        json={"completed_at": at},
        headers=demo.telenor,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "datetime_range"
