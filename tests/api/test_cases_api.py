"""Cases over HTTP: every endpoint's happy path and each documented refusal."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from simexit.api.app import create_app
from simexit.api.ratelimit import Limit, RateLimits
from simexit.models import AuditEvent, Case, IdempotencyKey, Line
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, latest_code, lines_of


def clean_line(runtime: Runtime, code: str = "telenor-no") -> Line:
    return lines_of(
        runtime,
        code,
        plan="postpaid",
        unpaid_bills_minor=0,
        port_pending=False,
        kind="physical_sim",
        status="active",
    )[0]


def open_case(
    client: TestClient, demo: Demo, line_id: uuid.UUID, **extra: object
) -> dict[str, Any]:
    response = client.post(
        "/v1/cases", json={"line_id": str(line_id), **extra}, headers=demo.telenor
    )
    assert response.status_code in {200, 201}, response.text
    case: dict[str, Any] = response.json()
    return case


class TestOpenCase:
    def test_opens_a_draft_with_a_preview_and_location(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = clean_line(runtime)
        response = client.post(
            "/v1/cases", json={"line_id": str(line.id), "reason": "moving"}, headers=demo.telenor
        )
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "draft"
        assert body["reference"].startswith("NO-2026-")
        assert response.headers["location"] == f"/v1/cases/{body['id']}"
        assert body["preview"]["total_due"]["currency"] == "NOK"
        assert "verification" in body["actions"]

    def test_same_line_and_type_returns_the_open_case(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = clean_line(runtime)
        first = open_case(client, demo, line.id)
        again = client.post("/v1/cases", json={"line_id": str(line.id)}, headers=demo.telenor)
        assert again.status_code == 200
        assert again.json()["id"] == first["id"]

    def test_unknown_line_is_404_problem(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/cases",
            json={"line_id": "00000000-0000-4000-8000-000000000000"},
            headers=demo.telenor,
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "line_not_found"

    def test_validation_names_field_and_rule(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = clean_line(runtime)
        response = client.post(
            "/v1/cases",
            json={
                "line_id": str(line.id),
                "transfer_to_msisdn": "12345",
                "type": "explode",
                "extra": 1,
            },
            headers=demo.telenor,
        )
        assert response.status_code == 422
        errors = {e["field"]: e["code"] for e in response.json()["errors"]}
        assert errors["body.transfer_to_msisdn"] == "e164"
        assert errors["body.type"] == "enum"
        assert errors["body.extra"] == "extra_forbidden"

    def test_malformed_json_is_422_not_500(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/cases",
            content=b"{nope",
            headers={**demo.telenor, "content-type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"

    def test_no_key_is_401_with_challenge(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        response = client.post("/v1/cases", json={"line_id": str(clean_line(runtime).id)})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        bad = client.get("/v1/operators", headers={"Authorization": "Bearer sx_deadbeef_nope"})
        assert bad.status_code == 401

    def test_revoked_key_is_refused(self, client: TestClient, demo: Demo, runtime: Runtime) -> None:
        from simexit.access import service as keys
        from simexit.principals import Actor, ActorType

        prefix = demo.seed.api_keys["telenor-no"].split("_")[1]
        with runtime.db.session() as session:
            keys.revoke_key(session, actor=Actor(ActorType.cli, "test"), prefix=prefix, now=NOW)
        response = client.get("/v1/operators", headers=demo.telenor)
        assert response.status_code == 401
        assert response.json()["code"] == "api_key_revoked"


class TestVerification:
    def test_code_by_sms_then_confirm_then_submit(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        started = client.post(
            f"/v1/cases/{case['id']}/verification", json={"method": "sms_otp"}, headers=demo.telenor
        )
        assert started.status_code == 201, started.text
        assert started.json()["destination_masked"]
        confirmed = client.post(
            f"/v1/cases/{case['id']}/verification/confirm",
            json={"code": latest_code(runtime)},
            headers=demo.telenor,
        )
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["outcome"] == "passed"
        submitted = client.post(
            f"/v1/cases/{case['id']}/submit", json={"consent": "I agree"}, headers=demo.telenor
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] in {"in_review", "approved", "executing", "blocked"}

    def test_wrong_code_is_422_counted_and_committed(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        client.post(
            f"/v1/cases/{case['id']}/verification", json={"method": "sms_otp"}, headers=demo.telenor
        )
        wrong = "000000" if latest_code(runtime) != "000000" else "111111"
        response = client.post(
            f"/v1/cases/{case['id']}/verification/confirm",
            json={"code": wrong},
            headers={**demo.telenor, "Accept-Language": "ru"},
        )
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "verification_code_wrong"
        assert body["attempts_left"] == 4
        assert "Неверный код" in body["detail"]
        assert response.headers["content-language"] == "ru"
        with runtime.db.read_session() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == case["id"])
            ).all()
        assert "verification.failed" in actions

    def test_locked_after_the_attempts_run_out(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        client.post(
            f"/v1/cases/{case['id']}/verification", json={"method": "sms_otp"}, headers=demo.telenor
        )
        wrong = "000000" if latest_code(runtime) != "000000" else "111111"
        codes = [
            client.post(
                f"/v1/cases/{case['id']}/verification/confirm",
                json={"code": wrong},
                headers=demo.telenor,
            ).status_code
            for _ in range(6)
        ]
        assert codes[:4] == [422] * 4
        assert codes[4:] == [423, 423]

    def test_expired_code_is_410(self, runtime: Runtime, demo: Demo, client: TestClient) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        client.post(
            f"/v1/cases/{case['id']}/verification", json={"method": "sms_otp"}, headers=demo.telenor
        )
        later = create_app(runtime, clock=lambda: NOW + timedelta(hours=1))
        with TestClient(later) as late_client:
            response = late_client.post(
                f"/v1/cases/{case['id']}/verification/confirm",
                json={"code": latest_code(runtime)},
                headers=demo.telenor,
            )
        assert response.status_code == 410
        assert response.json()["code"] == "verification_expired"

    def test_confirm_before_any_code_is_409(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        response = client.post(
            f"/v1/cases/{case['id']}/verification/confirm",
            json={"code": "123456"},
            headers=demo.telenor,
        )
        assert response.status_code == 409
        assert response.json()["code"] == "verification_missing"

    def test_rate_limited_with_retry_after(self, runtime: Runtime, demo: Demo) -> None:
        app = create_app(
            runtime,
            clock=lambda: NOW,
            rate_limits=RateLimits(start_per_line=Limit(2, timedelta(hours=1))),
        )
        with TestClient(app) as client:
            case = open_case(client, demo, clean_line(runtime).id)
            statuses = [
                client.post(
                    f"/v1/cases/{case['id']}/verification",
                    json={"method": "sms_otp"},
                    headers=demo.telenor,
                )
                for _ in range(3)
            ]
        assert [r.status_code for r in statuses] == [201, 201, 429]
        assert int(statuses[2].headers["retry-after"]) > 0
        assert statuses[2].json()["code"] == "rate_limited"


class TestReview:
    def submitted_case(self, client: TestClient, demo: Demo, runtime: Runtime) -> dict[str, Any]:
        case = open_case(client, demo, clean_line(runtime).id)
        assert (
            client.post(
                f"/v1/cases/{case['id']}/identity",
                json={
                    "method": "id_document",
                    "document_type": "passport",
                    "document_last4": "1234",
                },
                headers=demo.telenor,
            ).status_code
            == 201
        )
        response = client.post(f"/v1/cases/{case['id']}/submit", json={}, headers=demo.telenor)
        assert response.status_code == 200, response.text
        submitted: dict[str, Any] = response.json()
        return submitted

    def test_approve_in_review(self, client: TestClient, demo: Demo, runtime: Runtime) -> None:
        case = self.submitted_case(client, demo, runtime)
        if case["status"] != "in_review":
            pytest.skip(f"the pack decided {case['status']} for this line")
        response = client.post(
            f"/v1/cases/{case['id']}/approve", json={"note": "ok"}, headers=demo.telenor
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] in {"approved", "executing"}

    def test_reject_then_resubmit_links_a_new_case(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = self.submitted_case(client, demo, runtime)
        if case["status"] not in {"in_review", "blocked"}:
            pytest.skip(f"the pack decided {case['status']} for this line")
        rejected = client.post(
            f"/v1/cases/{case['id']}/reject",
            json={"reason": "identity_not_confirmed", "note": "blurry"},
            headers=demo.telenor,
        )
        assert rejected.status_code == 200
        assert rejected.json()["status"] == "rejected"
        assert "resubmit" in rejected.json()["actions"]
        again = client.post(
            f"/v1/cases/{case['id']}/resubmit",
            json={"comment": "clear photo"},
            headers=demo.telenor,
        )
        assert again.status_code == 201
        assert again.json()["parent_case_id"] == case["id"]

    def test_reject_reason_must_be_known(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = self.submitted_case(client, demo, runtime)
        response = client.post(
            f"/v1/cases/{case['id']}/reject", json={"reason": "because"}, headers=demo.telenor
        )
        assert response.status_code == 422
        assert response.json()["field"] == "body.reason"

    def test_withdraw_a_draft_and_invalid_transition_is_409(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        withdrawn = client.post(f"/v1/cases/{case['id']}/withdraw", json={}, headers=demo.telenor)
        assert withdrawn.status_code == 200
        assert withdrawn.json()["status"] == "withdrawn"
        again = client.post(
            f"/v1/cases/{case['id']}/submit",
            json={},
            headers={**demo.telenor, "Accept-Language": "zh-CN"},
        )
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_transition"
        assert "状态" in again.json()["detail"]

    def test_retry_only_from_failed(self, client: TestClient, demo: Demo, runtime: Runtime) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        response = client.post(f"/v1/cases/{case['id']}/retry", json={}, headers=demo.telenor)
        assert response.status_code == 409

    def test_submit_without_identity_is_409(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        response = client.post(f"/v1/cases/{case['id']}/submit", json={}, headers=demo.telenor)
        assert response.status_code == 409
        assert response.json()["code"] == "identity_not_verified"


class TestReads:
    def test_get_events_and_list_with_cursor(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        lines = lines_of(runtime, "telenor-no", status="active")[:3]
        opened = [open_case(client, demo, line.id, type="suspend") for line in lines]
        first = client.get("/v1/cases?limit=2&type=suspend", headers=demo.telenor)
        assert first.status_code == 200
        page = first.json()
        assert len(page["items"]) == 2
        assert page["next_cursor"]
        second = client.get(page["next"], headers=demo.telenor)
        ids = [c["id"] for c in page["items"]] + [c["id"] for c in second.json()["items"]]
        assert sorted(ids) == sorted(c["id"] for c in opened)
        assert second.json()["next_cursor"] is None
        one = client.get(f"/v1/cases/{opened[0]['id']}", headers=demo.telenor)
        assert one.json()["reference"] == opened[0]["reference"]
        events = client.get(f"/v1/cases/{opened[0]['id']}/events", headers=demo.telenor).json()[
            "items"
        ]
        assert events[0]["action"] == "case.opened"

    def test_status_filter_and_bad_cursor(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        open_case(client, demo, clean_line(runtime).id)
        drafts = client.get("/v1/cases?status=draft&status=in_review", headers=demo.telenor).json()[
            "items"
        ]
        assert drafts
        assert all(c["status"] in {"draft", "in_review"} for c in drafts)
        bad = client.get("/v1/cases?cursor=!!!", headers=demo.telenor)
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_cursor"


class TestIdempotency:
    def test_same_key_same_body_replays(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = clean_line(runtime)
        headers = {**demo.telenor, "Idempotency-Key": "k-1"}
        first = client.post("/v1/cases", json={"line_id": str(line.id)}, headers=headers)
        second = client.post("/v1/cases", json={"line_id": str(line.id)}, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json() == first.json()

    def test_same_key_other_body_is_422(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = clean_line(runtime)
        headers = {**demo.telenor, "Idempotency-Key": "k-2"}
        client.post("/v1/cases", json={"line_id": str(line.id)}, headers=headers)
        other = client.post(
            "/v1/cases", json={"line_id": str(line.id), "comment": "x"}, headers=headers
        )
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_key_reused"

    def test_a_replayed_wrong_code_is_not_counted_twice(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        client.post(
            f"/v1/cases/{case['id']}/verification", json={"method": "sms_otp"}, headers=demo.telenor
        )
        wrong = "000000" if latest_code(runtime) != "000000" else "111111"
        headers = {**demo.telenor, "Idempotency-Key": "confirm-1"}
        first = client.post(
            f"/v1/cases/{case['id']}/verification/confirm", json={"code": wrong}, headers=headers
        )
        second = client.post(
            f"/v1/cases/{case['id']}/verification/confirm", json={"code": wrong}, headers=headers
        )
        assert first.json()["attempts_left"] == second.json()["attempts_left"] == 4
        assert second.headers["idempotent-replayed"] == "true"

    def test_expired_keys_are_purged_and_reusable(
        self, runtime: Runtime, demo: Demo, client: TestClient
    ) -> None:
        line = clean_line(runtime)
        headers = {**demo.telenor, "Idempotency-Key": "k-3"}
        client.post("/v1/cases", json={"line_id": str(line.id)}, headers=headers)
        later = create_app(runtime, clock=lambda: NOW + timedelta(hours=25))
        with TestClient(later) as late_client:
            response = late_client.post(
                "/v1/cases", json={"line_id": str(line.id), "comment": "new"}, headers=headers
            )
        assert response.status_code in {200, 201}
        assert "idempotent-replayed" not in response.headers

    def test_concurrent_same_key_executes_once(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        lines = lines_of(runtime, "telenor-no", status="active")
        headers = {**demo.telenor, "Idempotency-Key": "race"}
        body = {"line_id": str(lines[0].id), "type": "suspend"}
        results: list[int] = []
        barrier = threading.Barrier(6)

        def call() -> None:
            barrier.wait()
            results.append(client.post("/v1/cases", json=body, headers=headers).status_code)

        threads = [threading.Thread(target=call) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(results) <= {201, 409}
        assert 201 in results
        with runtime.db.read_session() as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(Case).where(Case.line_id == lines[0].id)
                )
                == 1
            )
            assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
