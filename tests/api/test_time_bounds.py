"""Times outside the years the API accepts are a 422 naming the field, never a 500.

Both 500s the attack found were valid ISO strings whose UTC instant falls before year 1
(0001-01-01T00:00:00+14:00), which the database layer could not convert.
"""

from __future__ import annotations

import base64
import json

import pytest

from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of
from tests.api.test_lines_api import give_valid_iccid

OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: the old OverflowError
    "0001-01-01T00:00:00+12:00",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
    "9999-12-31T23:59:59-12:00",  # after year 9999 in UTC
]


def _error(response_json: dict[str, object]) -> dict[str, object]:
    errors = response_json["errors"]
    assert isinstance(errors, list)
    assert errors
    first = errors[0]
    assert isinstance(first, dict)
    return first


@pytest.mark.parametrize("returned_at", OUT_OF_RANGE)
def test_sim_return_time_out_of_range_is_422(
    client: TestClient, demo: Demo, runtime: Runtime, returned_at: str
) -> None:
    line = lines_of(runtime, "telenor-no", kind="physical_sim")[0]
    response = client.post(
        f"/v1/lines/{line.id}/sim-return", json={"returned_at": returned_at}, headers=demo.telenor
    )
    assert response.status_code == 422, response.text
    error = _error(response.json())
    assert error["code"] == "datetime_range"
    assert "returned_at" in str(error["field"])


@pytest.mark.parametrize(
    ("at", "code"),
    [
        *((value, "datetime_range") for value in OUT_OF_RANGE),
        ("2026-11-20T08:00:00", "timezone_aware"),
    ],
)
def test_esim_notice_time_must_be_aware_and_in_range(
    client: TestClient, demo: Demo, runtime: Runtime, at: str, code: str
) -> None:
    line = lines_of(runtime, "telenor-no", kind="esim", status="active")[0]
    notice = {"iccid": give_valid_iccid(runtime, line), "event": "deleted", "at": at}
    response = client.post("/v1/esim/notifications", json=notice, headers=demo.telenor)
    assert response.status_code == 422, response.text
    error = _error(response.json())
    assert error["code"] == code
    assert "at" in str(error["field"])


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_cursor_dated_outside_the_range_is_422(
    client: TestClient, demo: Demo, created: str
) -> None:
    raw = json.dumps([created, "00000000-0000-0000-0000-000000000000"]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(f"/v1/cases?cursor={cursor}", headers=demo.telenor)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_cursor"


def test_an_offset_time_in_range_is_stored_as_utc(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line = lines_of(runtime, "telenor-no", kind="physical_sim")[0]
    response = client.post(
        f"/v1/lines/{line.id}/sim-return",
        json={"returned_at": "2026-11-20T09:30:00+01:00"},
        headers=demo.telenor,
    )
    assert response.status_code == 200, response.text
    assert response.json()["sim_returned_at"].startswith("2026-11-20T08:30:00")


def test_a_sim_cannot_come_back_in_the_future(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line = lines_of(runtime, "telenor-no", kind="physical_sim")[0]
    response = client.post(
        f"/v1/lines/{line.id}/sim-return",
        json={"returned_at": "2099-01-01T00:00:00Z"},
        headers=demo.telenor,
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "returned_at_in_future"
    assert response.json()["field"] == "returned_at"


def test_an_esim_line_has_no_card_to_return(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line = lines_of(runtime, "telenor-no", kind="esim")[0]
    response = client.post(f"/v1/lines/{line.id}/sim-return", json={}, headers=demo.telenor)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "no_physical_sim"
