"""Nobody sees another tenant's rows: every cross-tenant call is 404, never 403 or data."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from simexit.api.app import create_app
from simexit.models import Line
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, lines_of

TelenorCase = tuple[Line, dict[str, Any]]


def portal_app(runtime: Runtime, subscriber_of: dict[str, Actor]) -> FastAPI:
    """The app as the portal would mount it: a signed-in subscriber arrives on request.state."""
    app = create_app(runtime, clock=lambda: NOW)

    async def sign_in(request: Request, call_next: RequestResponseEndpoint) -> Response:
        who = request.headers.get("x-test-subscriber")
        if who in subscriber_of:
            request.state.actor = subscriber_of[who]
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=sign_in)
    return app


def subscriber(line: Line) -> Actor:
    return Actor(
        ActorType.subscriber,
        str(line.subscriber_id),
        operator_id=line.operator_id,
        subscriber_id=line.subscriber_id,
    )


@pytest.fixture
def telenor_case(client: TestClient, demo: Demo, runtime: Runtime) -> TelenorCase:
    line = lines_of(runtime, "telenor-no", status="active")[0]
    response = client.post(
        "/v1/cases", json={"line_id": str(line.id), "type": "suspend"}, headers=demo.telenor
    )
    assert response.status_code == 201
    case: dict[str, Any] = response.json()
    return line, case


CASE_POSTS = [
    ("verification", {"method": "sms_otp"}),
    ("verification/confirm", {"code": "123456"}),
    ("identity", {"method": "id_document"}),
    ("submit", {}),
    ("withdraw", {}),
    ("approve", {}),
    ("reject", {"reason": "other"}),
    ("resubmit", {}),
    ("retry", {}),
]


class TestOtherOperator:
    def test_case_reads_and_writes_are_404(
        self, client: TestClient, demo: Demo, telenor_case: TelenorCase
    ) -> None:
        _, case = telenor_case
        for path in ("", "/events"):
            response = client.get(f"/v1/cases/{case['id']}{path}", headers=demo.att)
            assert response.status_code == 404, path
        for action, body in CASE_POSTS:
            response = client.post(f"/v1/cases/{case['id']}/{action}", json=body, headers=demo.att)
            assert response.status_code == 404, (action, response.text)
        assert client.get("/v1/cases", headers=demo.att).json()["items"] == []

    def test_line_reads_and_writes_are_404(
        self, client: TestClient, demo: Demo, telenor_case: TelenorCase
    ) -> None:
        line, _ = telenor_case
        for path in ("", "/preview"):
            assert client.get(f"/v1/lines/{line.id}{path}", headers=demo.att).status_code == 404
        assert (
            client.post(f"/v1/lines/{line.id}/sim-return", json={}, headers=demo.att).status_code
            == 404
        )
        assert (
            client.post("/v1/cases", json={"line_id": str(line.id)}, headers=demo.att).status_code
            == 404
        )
        assert (
            client.get(
                f"/v1/lines?msisdn={line.msisdn.replace('+', '%2B')}", headers=demo.att
            ).json()["items"]
            == []
        )
        assert (
            client.post(
                "/v1/port-outs",
                json={"msisdn": line.msisdn, "recipient_operator": "Ice"},
                headers=demo.att,
            ).status_code
            == 404
        )

    def test_operator_policy_is_404(self, client: TestClient, demo: Demo) -> None:
        telenor_id = demo.operator_ids["telenor-no"]
        assert client.get(f"/v1/operators/{telenor_id}/policy", headers=demo.att).status_code == 404
        listed = client.get("/v1/operators", headers=demo.att).json()["items"]
        assert [o["code"] for o in listed] == ["att-us"]


class TestReseller:
    def test_sees_only_lines_it_sold(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        sold = lines_of(runtime, "telenor-no", purchase_channel="reseller")
        direct = lines_of(runtime, "telenor-no", purchase_channel="direct")
        assert client.get(f"/v1/lines/{sold[0].id}", headers=demo.reseller).status_code == 200
        assert client.get(f"/v1/lines/{direct[0].id}", headers=demo.reseller).status_code == 404
        assert (
            client.post(
                "/v1/cases", json={"line_id": str(direct[0].id)}, headers=demo.reseller
            ).status_code
            == 404
        )

    def test_case_on_a_line_it_did_not_sell_is_404(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        direct = lines_of(runtime, "telenor-no", purchase_channel="direct", status="active")[0]
        case = client.post(
            "/v1/cases", json={"line_id": str(direct.id), "type": "suspend"}, headers=demo.telenor
        ).json()
        for action, body in CASE_POSTS:
            assert (
                client.post(
                    f"/v1/cases/{case['id']}/{action}", json=body, headers=demo.reseller
                ).status_code
                == 404
            ), action
        assert client.get(f"/v1/cases/{case['id']}", headers=demo.reseller).status_code == 404

    def test_staff_actions_on_its_own_case_are_403(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        sold = lines_of(runtime, "telenor-no", purchase_channel="reseller", status="active")[0]
        case = client.post(
            "/v1/cases", json={"line_id": str(sold.id), "type": "suspend"}, headers=demo.reseller
        )
        assert case.status_code == 201
        case_id = case.json()["id"]
        for action, body in (
            ("approve", {}),
            ("reject", {"reason": "other"}),
            ("retry", {}),
            ("identity", {"method": "id_document"}),
        ):
            response = client.post(
                f"/v1/cases/{case_id}/{action}", json=body, headers=demo.reseller
            )
            assert response.status_code == 403, (action, response.text)
            assert response.json()["code"] == "not_permitted"
        assert "approve" not in case.json()["actions"]


class TestSubscriber:
    def test_sees_own_case_not_anothers(self, runtime: Runtime, demo: Demo) -> None:
        mine, theirs = lines_of(runtime, "telenor-no", status="active")[:2]
        actors = {"me": subscriber(mine), "them": subscriber(theirs)}
        with TestClient(portal_app(runtime, actors)) as client:
            created = client.post(
                "/v1/cases",
                json={"line_id": str(mine.id), "type": "suspend"},
                headers={"x-test-subscriber": "me"},
            )
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            assert (
                client.get(f"/v1/cases/{case_id}", headers={"x-test-subscriber": "me"}).status_code
                == 200
            )
            assert (
                client.get(
                    f"/v1/cases/{case_id}", headers={"x-test-subscriber": "them"}
                ).status_code
                == 404
            )
            assert (
                client.get(
                    f"/v1/lines/{mine.id}", headers={"x-test-subscriber": "them"}
                ).status_code
                == 404
            )
            for action, body in CASE_POSTS:
                response = client.post(
                    f"/v1/cases/{case_id}/{action}",
                    json=body,
                    headers={"x-test-subscriber": "them"},
                )
                assert response.status_code == 404, action
            own_lines = client.get(
                f"/v1/lines?msisdn={mine.msisdn.replace('+', '%2B')}",
                headers={"x-test-subscriber": "them"},
            )
            assert own_lines.json()["items"] == []
            approve = client.post(
                f"/v1/cases/{case_id}/approve", json={}, headers={"x-test-subscriber": "me"}
            )
            assert approve.status_code == 403

    def test_unknown_ids_look_the_same_as_foreign_ones(
        self, client: TestClient, demo: Demo, telenor_case: TelenorCase
    ) -> None:
        _, case = telenor_case
        foreign = client.get(f"/v1/cases/{case['id']}", headers=demo.att).json()
        missing = client.get(f"/v1/cases/{uuid.uuid4()}", headers=demo.att).json()
        assert {k: v for k, v in foreign.items() if k not in {"instance", "case_id"}} == {
            k: v for k, v in missing.items() if k not in {"instance", "case_id"}
        }
