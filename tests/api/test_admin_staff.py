"""/v1/staff: create, list, read, change, disable, reset a password; the password rule; admin
scope; another operator's staff are 404; no password or hash ever leaves or reaches the audit."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from simexit.models import AuditEvent, StaffUser, WebSession
from simexit.principals import Actor, ActorType, StaffRole
from simexit.runtime import Runtime
from simexit.signin import sessions
from simexit.staff import service
from simexit.staff.service import CannotChangeSelf
from tests.api.admin_support import audit_rows, cases_key, field_codes
from tests.api.conftest import NOW, Demo, TestClient

PASSWORD = "correct horse battery staple"


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "Kari.Nordmann@Telenor.example",
        "full_name": "Kari Nordmann",
        "role": "supervisor",
        "language": "nb",
        "password": PASSWORD,
        **overrides,
    }


def _create(client: TestClient, demo: Demo, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/staff", json=_body(**overrides), headers=demo.telenor)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_create_stores_an_argon2_hash_and_never_shows_it(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _create(client, demo)
    assert made["email"] == "kari.nordmann@telenor.example"  # stored lower-case
    assert (made["role"], made["language"], made["disabled_at"]) == ("supervisor", "nb", None)
    assert "password" not in json.dumps(made)
    assert "hash" not in json.dumps(made)
    with runtime.db.read_session() as session:
        staff = session.get(StaffUser, uuid.UUID(made["id"]))
        assert staff is not None
        assert staff.password_hash.startswith("$argon2")
        assert PasswordHasher().verify(staff.password_hash, PASSWORD)
        trail = json.dumps([e.changes for e in session.scalars(select(AuditEvent))])
    assert PASSWORD not in trail
    assert staff.password_hash not in trail
    [created] = audit_rows(runtime, "staff.created")
    assert created.changes["role"] == "supervisor"
    got = client.get(f"/v1/staff/{made['id']}", headers=demo.telenor)
    assert got.json() == made


def test_the_same_email_twice_is_a_conflict(client: TestClient, demo: Demo) -> None:
    _create(client, demo)
    again = client.post(
        "/v1/staff", json=_body(email="kari.nordmann@telenor.example"), headers=demo.telenor
    )
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["field"]) == ("email_taken", "email")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"password": "short"}, ("body.password", "password_too_short")),
        ({"password": "x" * 501}, ("body.password", "password_too_long")),
        ({"password": "KARI.NORDMANN@telenor.example"}, ("body.password", "password_is_email")),
        ({"password": "kari.nordmann"}, ("body.password", "password_is_email")),
        ({"role": "root"}, ("body.role", "literal_error")),
        ({"language": "de"}, ("body.language", "literal_error")),
        ({"email": "not-an-address"}, ("body.email", "string_pattern_mismatch")),
        ({"full_name": ""}, ("body.full_name", "too_short")),
    ],
)
def test_bad_input_names_the_field_and_the_rule(
    client: TestClient, demo: Demo, overrides: dict[str, Any], expected: tuple[str, str]
) -> None:
    response = client.post("/v1/staff", json=_body(**overrides), headers=demo.telenor)
    assert response.status_code == 422, response.text
    assert expected in field_codes(response.json())


def test_list_pages_filters_and_stays_within_the_operator(client: TestClient, demo: Demo) -> None:
    made = [_create(client, demo, email=f"user{n}@telenor.example")["id"] for n in range(3)]
    seen: list[str] = []
    url: str | None = "/v1/staff?limit=2"
    while url:
        page = client.get(url, headers=demo.telenor).json()
        assert len(page["items"]) <= 2
        assert {item["operator_id"] for item in page["items"]} <= {
            str(demo.operator_ids["telenor-no"])
        }
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert set(made) <= set(seen)
    assert len(seen) == len(set(seen))
    admins = client.get("/v1/staff?role=admin", headers=demo.telenor).json()["items"]
    assert [item["email"] for item in admins] == ["admin@telenor-no.demo"]
    assert not set(made) & {
        item["id"] for item in client.get("/v1/staff", headers=demo.att).json()["items"]
    }


def test_patch_changes_what_is_given_and_audits_it(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _create(client, demo)
    changed = client.patch(
        f"/v1/staff/{made['id']}", json={"role": "admin", "language": "en"}, headers=demo.telenor
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["language"]) == ("admin", "en")
    assert changed.json()["full_name"] == "Kari Nordmann"
    [updated] = audit_rows(runtime, "staff.updated")
    assert updated.changes == {"role": ["supervisor", "admin"], "language": ["nb", "en"]}
    unchanged = client.patch(f"/v1/staff/{made['id']}", json={}, headers=demo.telenor)
    assert unchanged.status_code == 200
    assert len(audit_rows(runtime, "staff.updated")) == 1


def _session_of(runtime: Runtime, staff_id: uuid.UUID) -> str:
    with runtime.db.session() as session:
        return sessions.start(
            session,
            sessions.Principal("staff", staff_id=staff_id),
            lifetime=timedelta(hours=8),
            now=NOW,
        )


def _live_sessions(runtime: Runtime, staff_id: uuid.UUID) -> int:
    with runtime.db.read_session() as session:
        return len(
            session.scalars(
                select(WebSession).where(
                    WebSession.staff_id == staff_id, WebSession.revoked_at.is_(None)
                )
            ).all()
        )


def test_disable_revokes_sessions_and_is_idempotent(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _create(client, demo)
    staff_id = uuid.UUID(made["id"])
    _session_of(runtime, staff_id)
    assert _live_sessions(runtime, staff_id) == 1
    first = client.post(f"/v1/staff/{staff_id}/disable", headers=demo.telenor)
    assert first.status_code == 200, first.text
    assert first.json()["disabled_at"] is not None
    assert _live_sessions(runtime, staff_id) == 0
    again = client.post(f"/v1/staff/{staff_id}/disable", headers=demo.telenor)
    assert again.json()["disabled_at"] == first.json()["disabled_at"]
    [disabled] = audit_rows(runtime, "staff.disabled")
    assert disabled.changes == {"sessions_revoked": 1}
    live = client.get("/v1/staff?include_disabled=false", headers=demo.telenor).json()
    assert made["id"] not in [item["id"] for item in live["items"]]


def test_reset_password_checks_the_rule_hashes_and_ends_sessions(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _create(client, demo)
    staff_id = uuid.UUID(made["id"])
    _session_of(runtime, staff_id)
    as_email = client.post(
        f"/v1/staff/{staff_id}/reset-password",
        json={"password": "kari.nordmann@telenor.example"},
        headers=demo.telenor,
    )
    assert as_email.status_code == 422
    assert (as_email.json()["code"], as_email.json()["field"]) == ("password_is_email", "password")
    short = client.post(
        f"/v1/staff/{staff_id}/reset-password", json={"password": "short"}, headers=demo.telenor
    )
    assert ("body.password", "password_too_short") in field_codes(short.json())
    reset = client.post(
        f"/v1/staff/{staff_id}/reset-password",
        json={"password": "another long passphrase"},
        headers=demo.telenor,
    )
    assert reset.status_code == 200, reset.text
    assert _live_sessions(runtime, staff_id) == 0
    with runtime.db.read_session() as session:
        staff = session.get(StaffUser, staff_id)
        assert staff is not None
        assert PasswordHasher().verify(staff.password_hash, "another long passphrase")
    [row] = audit_rows(runtime, "staff.password_reset")
    assert "another long passphrase" not in json.dumps(row.changes)


def test_another_operators_staff_are_not_found(client: TestClient, demo: Demo) -> None:
    made = _create(client, demo)
    for method, path, body in (
        ("GET", f"/v1/staff/{made['id']}", None),
        ("PATCH", f"/v1/staff/{made['id']}", {"role": "agent"}),
        ("POST", f"/v1/staff/{made['id']}/disable", None),
        ("POST", f"/v1/staff/{made['id']}/reset-password", {"password": PASSWORD + "!"}),
    ):
        response = client.request(method, path, json=body, headers=demo.att)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "staff_not_found"


def test_reseller_and_cases_scoped_keys_are_refused(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    for headers in (demo.reseller, cases_key(runtime)):
        for method, path, body in (
            ("GET", "/v1/staff", None),
            ("POST", "/v1/staff", _body()),
            ("POST", f"/v1/staff/{uuid.uuid4()}/reset-password", {"password": PASSWORD}),
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["code"] == "scope_required"


def test_an_admin_cannot_disable_or_demote_themself(runtime: Runtime, demo: Demo) -> None:
    with runtime.db.session() as session:
        me = service.staff_by_email(session, "admin@telenor-no.demo")
        actor = Actor(ActorType.agent, str(me.id), operator_id=me.operator_id, role=StaffRole.admin)
        with pytest.raises(CannotChangeSelf):
            service.disable_staff(
                session, actor=actor, operator_id=me.operator_id, staff_id=me.id, now=NOW
            )
        with pytest.raises(CannotChangeSelf):
            service.update_staff(
                session,
                actor=actor,
                operator_id=me.operator_id,
                staff_id=me.id,
                change=service.StaffChange(role=StaffRole.agent),
                now=NOW,
            )
