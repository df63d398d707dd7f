"""/v1/webhook-endpoints: register (URL rule), list, rotate the secret (both signatures during
the grace period), disable, the delivery log and replaying a delivery; admin scope; tenancy."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from simexit.kit.standard_webhooks import WebhookVerificationError, verify_webhook_signature
from simexit.models import Job, WebhookAttempt, WebhookDelivery
from simexit.notifications import webhooks
from simexit.notifications.webhooks import plan_post
from simexit.runtime import Runtime
from simexit.webhooks import rules
from tests.api.admin_support import audit_rows, cases_key, field_codes
from tests.api.conftest import NOW, Demo, TestClient

URL = "https://bss.telenor.example/hooks/simexit"


def _register(client: TestClient, demo: Demo, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhook-endpoints", json={"url": URL, **body}, headers=demo.telenor)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/webhook-endpoints/{made['id']}"
    return made


def _emit(runtime: Runtime, demo: Demo, event_type: str = "case.completed") -> list[uuid.UUID]:
    with runtime.db.session() as session:
        made = webhooks.emit(
            session,
            now=NOW,
            operator_id=demo.operator_ids["telenor-no"],
            event_type=event_type,
            data={"id": "c-1"},
        )
        return [d.id for d in made]


def test_register_shows_the_secret_once_and_audits_the_url_only(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _register(client, demo, events=["case.completed"], description="BSS")
    assert made["secret"].startswith("whsec_")
    assert (made["url"], made["events"], made["description"]) == (URL, ["case.completed"], "BSS")
    got = client.get(f"/v1/webhook-endpoints/{made['id']}", headers=demo.telenor).json()
    listed = client.get("/v1/webhook-endpoints", headers=demo.telenor).json()["items"]
    assert "secret" not in got
    assert all("secret" not in item for item in listed)
    assert got["id"] in [item["id"] for item in listed]
    [row] = audit_rows(runtime, "webhook_endpoint.registered")
    assert row.changes == {"url": URL, "events": ["case.completed"]}
    assert made["secret"] not in str(row.changes)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://bss.telenor.example/hooks", rules.URL_HTTPS_REQUIRED),
        ("https://user:pw@bss.telenor.example/", rules.URL_CREDENTIALS),
        ("https://bss.telenor.example/#x", rules.URL_FRAGMENT),
        ("gopher://bss.telenor.example/", rules.URL_INVALID),
    ],
)
def test_a_refused_url_names_the_field_and_the_rule(
    client: TestClient, demo: Demo, url: str, code: str
) -> None:
    response = client.post("/v1/webhook-endpoints", json={"url": url}, headers=demo.telenor)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, "url")
    assert response.json()["rule"] == code


def test_http_to_a_loopback_receiver_is_allowed_in_the_test_environment(
    client: TestClient, demo: Demo
) -> None:
    response = client.post(
        "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9000/hooks"}, headers=demo.telenor
    )
    assert response.status_code == 201, response.text


def test_an_unknown_event_is_refused_by_the_schema(client: TestClient, demo: Demo) -> None:
    response = client.post(
        "/v1/webhook-endpoints", json={"url": URL, "events": ["case.eaten"]}, headers=demo.telenor
    )
    assert response.status_code == 422
    assert ("body.events.0", "literal_error") in field_codes(response.json())


def test_events_go_to_each_live_endpoint_that_wants_them(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    every = _register(client, demo)
    completed_only = _register(client, demo, events=["case.completed"])
    failed_only = _register(client, demo, events=["case.failed"])
    disabled = _register(client, demo)
    assert client.post(
        f"/v1/webhook-endpoints/{disabled['id']}/disable", headers=demo.telenor
    ).json()["disabled_at"]
    _emit(runtime, demo, "case.completed")
    with runtime.db.read_session() as session:
        targets = set(session.scalars(select(WebhookDelivery.endpoint_id)))
    assert targets == {uuid.UUID(every["id"]), uuid.UUID(completed_only["id"])}
    assert uuid.UUID(failed_only["id"]) not in targets


def test_too_many_live_endpoints_is_a_conflict(client: TestClient, demo: Demo) -> None:
    for _ in range(rules.MAX_LIVE_ENDPOINTS):
        _register(client, demo)
    response = client.post("/v1/webhook-endpoints", json={"url": URL}, headers=demo.telenor)
    assert response.status_code == 409
    assert response.json()["code"] == "too_many_webhook_endpoints"


def _signed_with(runtime: Runtime, delivery_id: uuid.UUID, secret: str, at: Any) -> bool:
    with runtime.db.read_session() as session:
        request = plan_post(session, now=at, delivery_id=delivery_id)
    assert request is not None
    assert request.headers is not None
    try:
        verify_webhook_signature(secret=secret, headers=request.headers, body=request.body, now=at)
    except WebhookVerificationError:
        return False
    return True


def test_rotation_signs_with_both_secrets_until_the_grace_period_ends(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _register(client, demo)
    [delivery_id] = _emit(runtime, demo)
    assert _signed_with(runtime, delivery_id, made["secret"], NOW)
    rotated = client.post(
        f"/v1/webhook-endpoints/{made['id']}/rotate-secret",
        json={"grace_hours": 2},
        headers=demo.telenor,
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != made["secret"]
    assert new.startswith("whsec_")
    assert rotated.json()["previous_secret_expires_at"] == "2026-11-20T11:30:00Z"
    assert _signed_with(runtime, delivery_id, new, NOW)
    assert _signed_with(runtime, delivery_id, made["secret"], NOW)
    later = NOW + timedelta(hours=2)
    assert _signed_with(runtime, delivery_id, new, later)
    assert not _signed_with(runtime, delivery_id, made["secret"], later)
    [row] = audit_rows(runtime, "webhook_endpoint.secret_rotated")
    assert new not in str(row.changes)
    assert made["secret"] not in str(row.changes)
    at_once = client.post(
        f"/v1/webhook-endpoints/{made['id']}/rotate-secret",
        json={"grace_hours": 0},
        headers=demo.telenor,
    ).json()
    assert at_once["previous_secret_expires_at"] is None
    assert not _signed_with(runtime, delivery_id, new, NOW)
    assert _signed_with(runtime, delivery_id, at_once["secret"], NOW)


def test_a_disabled_endpoint_cannot_be_rotated_and_disable_is_idempotent(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _register(client, demo)
    path = f"/v1/webhook-endpoints/{made['id']}"
    first = client.post(f"{path}/disable", headers=demo.telenor).json()
    again = client.post(f"{path}/disable", headers=demo.telenor).json()
    assert first["disabled_at"] == again["disabled_at"] is not None
    assert len(audit_rows(runtime, "webhook_endpoint.disabled")) == 1
    refused = client.post(f"{path}/rotate-secret", json={}, headers=demo.telenor)
    assert refused.status_code == 409
    assert refused.json()["code"] == "webhook_endpoint_disabled"


def _fail(runtime: Runtime, delivery_id: uuid.UUID, *, status: str) -> None:
    with runtime.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        delivery.status, delivery.attempts, delivery.last_status_code = status, 2, 503
        for attempt, error in ((1, "no answer from the webhook endpoint"), (2, "HTTP 503")):
            session.add(
                WebhookAttempt(
                    delivery_id=delivery_id,
                    attempt=attempt,
                    status_code=503 if attempt == 2 else None,
                    duration_ms=5,
                    error=error,
                    created_at=NOW,
                )
            )


def test_the_delivery_log_and_a_replay(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    made = _register(client, demo)
    base = f"/v1/webhook-endpoints/{made['id']}/deliveries"
    [first, second] = _emit(runtime, demo) + _emit(runtime, demo, "case.failed")
    pending = client.get(base, headers=demo.telenor).json()["items"]
    assert {item["id"] for item in pending} == {str(first), str(second)}
    assert all(item["status"] == "pending" for item in pending)
    assert all(item["attempts"] == 0 for item in pending)
    busy = client.post(f"{base}/{first}/replay", headers=demo.telenor)
    assert busy.status_code == 409
    assert busy.json()["code"] == "webhook_delivery_in_progress"

    _fail(runtime, first, status="dead")
    dead = client.get(f"{base}?status=dead", headers=demo.telenor).json()["items"]
    assert [(d["id"], d["attempts"], d["last_status_code"], d["last_error"]) for d in dead] == [
        (str(first), 2, 503, "HTTP 503")
    ]
    one = client.get(f"{base}/{first}", headers=demo.telenor).json()
    assert one["last_error"] == "HTTP 503"
    assert one["event_type"] == "case.completed"

    replayed = client.post(f"{base}/{first}/replay", headers=demo.telenor)
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["status"] == "pending"
    assert replayed.json()["message_id"] == one["message_id"]  # receivers de-duplicate on it
    with runtime.db.read_session() as session:
        jobs = session.scalars(
            select(Job).where(Job.name == webhooks.DELIVER_JOB, Job.dedup_key.contains(":replay:"))
        ).all()
    assert [job.payload["delivery_id"] for job in jobs] == [str(first)]
    [row] = audit_rows(runtime, "webhook_delivery.replayed")
    assert (row.subject_type, row.subject_id) == ("webhook_delivery", str(first))
    assert row.changes["status"] == ["dead", "pending"]


def test_deliveries_page_with_a_cursor(client: TestClient, demo: Demo, runtime: Runtime) -> None:
    made = _register(client, demo)
    emitted = {str(i) for _ in range(3) for i in _emit(runtime, demo)}
    seen: list[str] = []
    url: str | None = f"/v1/webhook-endpoints/{made['id']}/deliveries?limit=2"
    while url:
        page = client.get(url, headers=demo.telenor).json()
        seen += [item["id"] for item in page["items"]]
        url = page["next"]
    assert sorted(seen) == sorted(emitted)


def test_another_operators_endpoints_and_deliveries_are_not_found(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    made = _register(client, demo)
    [delivery_id] = _emit(runtime, demo)
    _fail(runtime, delivery_id, status="dead")
    base = f"/v1/webhook-endpoints/{made['id']}"
    for method, path, body, code in (
        ("GET", base, None, "webhook_endpoint_not_found"),
        ("POST", f"{base}/rotate-secret", {}, "webhook_endpoint_not_found"),
        ("POST", f"{base}/disable", None, "webhook_endpoint_not_found"),
        ("GET", f"{base}/deliveries", None, "webhook_endpoint_not_found"),
        ("GET", f"{base}/deliveries/{delivery_id}", None, "webhook_endpoint_not_found"),
        ("POST", f"{base}/deliveries/{delivery_id}/replay", None, "webhook_endpoint_not_found"),
    ):
        response = client.request(method, path, json=body, headers=demo.att)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["code"] == code
    other = _register(client, demo)
    wrong_endpoint = client.get(
        f"/v1/webhook-endpoints/{other['id']}/deliveries/{delivery_id}", headers=demo.telenor
    )
    assert wrong_endpoint.status_code == 404
    assert wrong_endpoint.json()["code"] == "webhook_delivery_not_found"
    assert made["id"] not in [
        e["id"] for e in client.get("/v1/webhook-endpoints", headers=demo.att).json()["items"]
    ]


def test_reseller_and_cases_scoped_keys_are_refused(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    endpoint_id = uuid.uuid4()
    for headers in (demo.reseller, cases_key(runtime)):
        for method, path, body in (
            ("GET", "/v1/webhook-endpoints", None),
            ("POST", "/v1/webhook-endpoints", {"url": URL}),
            ("POST", f"/v1/webhook-endpoints/{endpoint_id}/rotate-secret", {}),
            ("GET", f"/v1/webhook-endpoints/{endpoint_id}/deliveries", None),
            ("POST", f"/v1/webhook-endpoints/{endpoint_id}/deliveries/{uuid.uuid4()}/replay", None),
        ):
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["code"] == "scope_required"
