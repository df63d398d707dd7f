"""/v1/campaigns over HTTP: create, dry run, four eyes, the run, progress, pause, abort, CSV."""

from __future__ import annotations

import csv
import io
import uuid

from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from simexit.api.app import create_app
from simexit.jobs import run_pending
from simexit.principals import Actor, ActorType, StaffRole
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, lines_of


def console_app(runtime: Runtime, staff: dict[str, Actor]) -> FastAPI:
    """The app as the console mounts it: a signed-in staff member arrives on request.state."""
    app = create_app(runtime, clock=lambda: NOW)

    async def sign_in(request: Request, call_next: RequestResponseEndpoint) -> Response:
        who = request.headers.get("x-test-staff")
        if who in staff:
            request.state.actor = staff[who]
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=sign_in)
    return app


def _staff(operator_id: uuid.UUID) -> dict[str, Actor]:
    return {
        role.value: Actor(ActorType.agent, f"{role.value}@telenor", operator_id, role=role)
        for role in StaffRole
    }


def test_a_campaign_from_draft_to_report(runtime: Runtime, demo: Demo) -> None:
    runtime.prepare_jobs()
    operator_id = demo.operator_ids["telenor-no"]
    active = lines_of(runtime, "telenor-no", status="active")
    numbers = [line.msisdn for line in active[:3]]
    with TestClient(console_app(runtime, _staff(operator_id))) as client:
        created = client.post(
            "/v1/campaigns",
            json={
                "name": "Regulatory block",
                "action": "suspend",
                "selection": {"msisdns": numbers},
            },
            headers=demo.telenor,
        )
        assert created.status_code == 201, created.text
        campaign = created.json()
        assert campaign["status"] == "draft"
        url = f"/v1/campaigns/{campaign['id']}"

        dry = client.get(f"{url}/dry-run", headers=demo.telenor)
        assert dry.status_code == 200
        assert dry.json()["selected"] == 3

        same = client.post(f"{url}/approve", headers=demo.telenor)
        assert same.status_code == 409
        assert same.json()["code"] == "four_eyes_same_person"
        agent = client.post(f"{url}/approve", headers={"x-test-staff": "agent"})
        assert agent.status_code == 403
        assert agent.json()["code"] == "supervisor_required"
        approved = client.post(
            f"{url}/approve", headers={"x-test-staff": "supervisor", "Idempotency-Key": "ap-1"}
        )
        assert approved.status_code == 200, approved.text
        again = client.post(
            f"{url}/approve", headers={"x-test-staff": "supervisor", "Idempotency-Key": "ap-1"}
        )
        assert again.status_code == 200  # the stored answer, not a second approval

        run_pending(runtime.db, now=NOW, worker_id="test")
        done = client.get(url, headers=demo.telenor).json()
        assert done["status"] == "done"
        assert done["progress"]["total"] == 3
        assert done["progress"]["eta_seconds"] == 0
        assert client.post(f"{url}/pause", headers=demo.telenor).status_code == 409

        report = client.get(f"{url}/lines", headers=demo.telenor)
        assert report.status_code == 200
        rows = list(csv.DictReader(io.StringIO(report.text)))
        assert sorted(r["msisdn"] for r in rows) == sorted(numbers)
        assert sum(dry.json()["blocked"].values()) == sum(r["outcome"] == "skipped" for r in rows)

        listed = client.get("/v1/campaigns", headers=demo.telenor).json()
        assert [c["id"] for c in listed["items"]] == [campaign["id"]]
        assert client.get(url, headers=demo.att).status_code == 404  # another operator's


def test_bad_input_names_the_field(runtime: Runtime, demo: Demo, client: TestClient) -> None:
    refused = client.post(
        "/v1/campaigns",
        json={"name": "x", "action": "explode", "selection": {"sims_over": -1}},
        headers=demo.telenor,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e["code"] for e in refused.json()["errors"]}
    assert fields == {"body.action": "enum", "body.selection.sims_over": "greater_than_equal"}


def test_a_reseller_cannot_run_campaigns(demo: Demo, client: TestClient) -> None:
    refused = client.post(
        "/v1/campaigns", json={"name": "x", "action": "notify"}, headers=demo.reseller
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "operator_staff_required"


def test_a_campaign_from_the_pack(demo: Demo, client: TestClient) -> None:
    made = client.post(
        "/v1/campaigns/from-pack",
        json={"preset": "dormant_sweep", "step": "warn", "warn_days": 30},
        headers=demo.telenor,
    )
    assert made.status_code == 201, made.text
    campaign = made.json()
    assert campaign["action"] == "notify"
    assert campaign["params"]["source"]["rule"] == "prepaid.inactivity[1]"
    assert campaign["params"]["notice"]["kind"] == "dormant_terminate"
    missing = client.post(
        "/v1/campaigns/from-pack", json={"preset": "sim_limit"}, headers=demo.telenor
    )
    assert missing.status_code == 422
    assert (missing.json()["code"], missing.json()["field"]) == ("pack_rule_missing", "preset")
