"""The account PIN (issue 18, item 2): checked against its argon2 hash where the pack accepts a
PIN, wrong answers counted and committed, locked after five a day across cases; a pack without a
PIN refuses by name and says which methods it takes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from simexit.models import AuditEvent, Line, Subscriber, Verification
from simexit.runtime import Runtime
from simexit.verification.secrets import hash_pin
from tests.api.conftest import Demo, TestClient, lines_of

PIN = "2468"


def pinned_line(runtime: Runtime, operator: str = "att-us", index: int = 0) -> Line:
    line = lines_of(runtime, operator, status="active")[index]
    with runtime.db.session() as session:
        session.execute(
            update(Subscriber)
            .where(Subscriber.id == line.subscriber_id)
            .values(account_pin_hash=hash_pin(PIN))
        )
    return line


def open_case(client: TestClient, headers: dict[str, str], line: Line) -> dict[str, Any]:
    response = client.post(
        "/v1/cases", json={"line_id": str(line.id), "type": "suspend"}, headers=headers
    )
    assert response.status_code in {200, 201}, response.text
    case: dict[str, Any] = response.json()
    return case


def answer(client: TestClient, case: dict[str, Any], pin: str, headers: dict[str, str]) -> Any:
    return client.post(f"/v1/cases/{case['id']}/identity/pin", json={"pin": pin}, headers=headers)


def test_the_right_pin_verifies_the_case(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    case = open_case(client, demo.att, pinned_line(runtime))
    response = answer(client, case, PIN, demo.att)
    assert response.status_code == 200, response.text
    assert response.json()["case"]["status"] == "awaiting_verification"
    with runtime.db.read_session() as session:
        check = session.scalars(select(Verification)).one()
        assert (check.method, check.status) == ("account_pin", "passed")
        assert check.evidence["checked_by"]["name"] == "demo integration"
        assert PIN not in str(check.evidence)
        passed = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "verification.passed")
        ).one()
        assert passed.changes["method"] == "account_pin"
    assert (
        client.post(f"/v1/cases/{case['id']}/submit", json={}, headers=demo.att).status_code == 200
    )


def test_wrong_pins_count_and_lock_even_on_a_new_case(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line = pinned_line(runtime)
    case = open_case(client, demo.att, line)
    lefts = []
    for _ in range(4):
        wrong = answer(client, case, "0000", demo.att)
        assert wrong.status_code == 422, wrong.text
        assert wrong.json()["code"] == "pin_wrong"
        lefts.append(wrong.json()["attempts_left"])
    assert lefts == [4, 3, 2, 1]
    locked = answer(client, case, "0000", demo.att)
    assert (locked.status_code, locked.json()["code"]) == (423, "pin_locked")
    assert answer(client, case, PIN, demo.att).status_code == 423  # even the right one now
    client.post(f"/v1/cases/{case['id']}/withdraw", json={}, headers=demo.att)
    again = open_case(client, demo.att, line)
    assert again["id"] != case["id"]
    assert answer(client, again, PIN, demo.att).status_code == 423  # the subscriber's PIN locked
    with runtime.db.read_session() as session:
        statuses = {v.status for v in session.scalars(select(Verification))}
    assert "passed" not in statuses


def test_a_pack_without_a_pin_refuses_and_names_its_methods(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    case = open_case(client, demo.telenor, pinned_line(runtime, "telenor-no"))
    response = answer(client, case, PIN, demo.telenor)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "verification_method_not_allowed"
    assert body["field"] == "pin"
    assert "account_pin" not in body["allowed"]
    assert "bankid" in body["allowed"]


def test_no_pin_on_file_is_a_conflict(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    line = lines_of(runtime, "att-us", status="active")[1]
    with runtime.db.session() as session:
        session.execute(
            update(Subscriber)
            .where(Subscriber.id == line.subscriber_id)
            .values(account_pin_hash=None)
        )
    case = open_case(client, demo.att, line)
    response = answer(client, case, PIN, demo.att)
    assert response.status_code == 409, response.text
