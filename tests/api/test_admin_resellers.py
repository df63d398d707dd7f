"""/v1/resellers: create, list, read, rename, disable; admin scope; another operator's are 404."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from simexit.models import ApiKey, Reseller
from simexit.runtime import Runtime
from tests.api.admin_support import audit_rows, cases_key, field_codes
from tests.api.conftest import Demo, TestClient


def _create(client: TestClient, demo: Demo, name: str = "Fjord Kiosk") -> dict[str, object]:
    response = client.post("/v1/resellers", json={"name": name}, headers=demo.telenor)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/resellers/{response.json()['id']}"
    body: dict[str, object] = response.json()
    return body


def test_create_get_list_rename_and_audit(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    made = _create(client, demo)
    assert made["operator_id"] == str(demo.operator_ids["telenor-no"])
    assert made["disabled_at"] is None
    got = client.get(f"/v1/resellers/{made['id']}", headers=demo.telenor)
    assert got.status_code == 200
    assert got.json() == made
    renamed = client.patch(
        f"/v1/resellers/{made['id']}", json={"name": "Fjord Kiosk AS"}, headers=demo.telenor
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Fjord Kiosk AS"
    listed = client.get("/v1/resellers", headers=demo.telenor).json()
    assert made["id"] in [item["id"] for item in listed["items"]]
    assert all(item["operator_id"] == made["operator_id"] for item in listed["items"])
    [created] = audit_rows(runtime, "reseller.created")
    assert created.changes == {"name": "Fjord Kiosk"}
    [rename] = audit_rows(runtime, "reseller.renamed")
    assert rename.changes == {"name": ["Fjord Kiosk", "Fjord Kiosk AS"]}


def test_cursor_pages_cover_every_reseller_once(client: TestClient, demo: Demo) -> None:
    made = {str(_create(client, demo, f"Kiosk {n}")["id"]) for n in range(3)}
    seen: list[str] = []
    url: str | None = "/v1/resellers?limit=2"
    while url:
        page = client.get(url, headers=demo.telenor).json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert made <= set(seen)
    assert len(seen) == len(set(seen))


def test_disable_revokes_the_resellers_keys_and_is_idempotent(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    with runtime.db.read_session() as session:
        reseller_id = session.scalars(
            select(ApiKey.reseller_id).where(ApiKey.reseller_id.is_not(None))
        ).first()
    assert reseller_id is not None
    assert client.get("/v1/cases", headers=demo.reseller).status_code == 200
    first = client.post(f"/v1/resellers/{reseller_id}/disable", headers=demo.telenor)
    if first.status_code == 404:  # the demo's reseller key belongs to another operator
        with runtime.db.read_session() as session:
            reseller = session.get(Reseller, reseller_id)
            assert reseller is not None
        raise AssertionError(f"the demo reseller is not telenor's: {reseller.operator_id}")
    assert first.status_code == 200, first.text
    assert first.json()["disabled_at"] is not None
    again = client.post(f"/v1/resellers/{reseller_id}/disable", headers=demo.telenor)
    assert again.json()["disabled_at"] == first.json()["disabled_at"]
    refused = client.get("/v1/cases", headers=demo.reseller)
    assert refused.status_code == 401
    assert refused.json()["code"] == "api_key_revoked"
    [disabled] = audit_rows(runtime, "reseller.disabled")
    assert len(disabled.changes["api_keys_revoked"]) == 1
    active = client.get("/v1/resellers?include_disabled=false", headers=demo.telenor).json()
    assert str(reseller_id) not in [item["id"] for item in active["items"]]


def test_another_operators_reseller_is_not_found(client: TestClient, demo: Demo) -> None:
    made = _create(client, demo)
    for method, path, body in (
        ("GET", f"/v1/resellers/{made['id']}", None),
        ("PATCH", f"/v1/resellers/{made['id']}", {"name": "Mine now"}),
        ("POST", f"/v1/resellers/{made['id']}/disable", None),
    ):
        response = client.request(method, path, json=body, headers=demo.att)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "reseller_not_found"
    assert made["id"] not in [
        item["id"] for item in client.get("/v1/resellers", headers=demo.att).json()["items"]
    ]
    unknown = client.get(f"/v1/resellers/{uuid.uuid4()}", headers=demo.telenor)
    assert unknown.status_code == 404


def test_reseller_and_cases_scoped_keys_are_refused(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    cases_only = cases_key(runtime)
    for headers in (demo.reseller, cases_only):
        for method, path, body in (
            ("GET", "/v1/resellers", None),
            ("POST", "/v1/resellers", {"name": "Sneaky"}),
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "scope_required"
    assert client.get("/v1/resellers").status_code == 401


def test_bad_names_name_the_field_and_rule(client: TestClient, demo: Demo) -> None:
    for body, expected in (
        ({}, ("body.name", "missing")),
        ({"name": ""}, ("body.name", "too_short")),
        ({"name": "a\x00b"}, ("body.name", "control_characters")),
        ({"name": "x" * 201}, ("body.name", "string_too_long")),
        ({"name": "ok", "extra": 1}, ("body.extra", "extra_forbidden")),
    ):
        response = client.post("/v1/resellers", json=body, headers=demo.telenor)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        assert expected in field_codes(response.json()), response.json()
    bad_cursor = client.get("/v1/resellers?cursor=nope", headers=demo.telenor)
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["code"] == "invalid_cursor"
