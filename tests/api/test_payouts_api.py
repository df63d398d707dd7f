"""Refunds paid over the API: the destination on the case, the pain.001 batch and its file, the
bank's pain.002, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from simexit.models import Line
from simexit.refunds.pain001 import validate
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of
from tests.refunds.test_payment_files import status_report

XML = {"Content-Type": "application/xml"}


def _prepaid_with_balance(runtime: Runtime) -> Line:
    lines = [
        line
        for line in lines_of(runtime, "telenor-no", plan="prepaid", status="active")
        if line.balance_minor - line.bonus_balance_minor >= 10000 and not line.unpaid_bills_minor
    ]
    assert lines, "the demo has a Telenor prepaid line with a balance"
    return lines[0]


def _completed_refund_case(client: TestClient, demo: Demo, runtime: Runtime) -> dict[str, Any]:
    line = _prepaid_with_balance(runtime)
    headers = demo.telenor
    opened = client.post(
        "/v1/cases", json={"line_id": str(line.id), "settlement": "refund"}, headers=headers
    )
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    identity = client.post(
        f"/v1/cases/{case_id}/identity",
        json={"method": "id_document", "document_type": "passport", "document_last4": "1234"},
        headers=headers,
    )
    assert identity.status_code == 201, identity.text
    submitted = client.post(f"/v1/cases/{case_id}/submit", json={}, headers=headers)
    assert submitted.status_code == 200, submitted.text
    if submitted.json()["status"] == "in_review":
        approved = client.post(f"/v1/cases/{case_id}/approve", json={"note": "ok"}, headers=headers)
        assert approved.status_code == 200, approved.text
    clock = client.post("/v1/test-clocks", json={}, headers=headers)
    assert clock.status_code == 201, clock.text
    moved = client.post(
        f"/v1/test-clocks/{clock.json()['id']}/advance", json={"days": 40}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    shown: dict[str, Any] = client.get(f"/v1/cases/{case_id}", headers=headers).json()
    assert shown["status"] == "completed", shown
    return shown


def test_a_refund_is_paid_through_the_api_from_destination_to_settled(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    runtime.prepare_jobs()
    case = _completed_refund_case(client, demo, runtime)
    path = f"/v1/cases/{case['id']}/refund-destination"
    missing = client.get(path, headers=demo.telenor)
    assert missing.status_code == 200
    assert (missing.json()["kind"], missing.json()["masked"]) == (None, None)
    bad = client.put(
        path,
        json={"kind": "no_account", "holder_name": "Kari", "account": "86011117948"},
        headers=demo.telenor,
    )
    assert bad.status_code == 422, bad.text
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [
        ("body.account", "check_digit")
    ]
    not_here = client.put(
        path,
        json={"kind": "card", "holder_name": "Kari", "account": "tok_12345678"},
        headers=demo.telenor,
    )
    assert not_here.status_code == 422
    assert not_here.json()["errors"][0]["code"] == "payout_method_not_allowed"
    given = client.put(
        path,
        json={"kind": "no_account", "holder_name": "Kari", "account": "86011117947"},
        headers=demo.telenor,
    )
    assert given.status_code == 200, given.text
    assert given.json()["masked"] == "no_account •••• 7947"
    assert client.get(path, headers=demo.att).status_code == 404

    assert (
        client.post(
            "/v1/payout-batches", json={"currency": "NOK"}, headers=demo.reseller
        ).status_code
        == 403
    )
    batch = client.post("/v1/payout-batches", json={"currency": "NOK"}, headers=demo.telenor)
    assert batch.status_code == 201, batch.text
    body = batch.json()
    assert body["transfers"] >= 1
    document = client.get(body["file"], headers=demo.telenor)
    assert document.status_code == 200
    assert document.headers["content-type"].startswith("application/xml")
    validate(document.content)
    assert client.get(body["file"], headers=demo.att).status_code == 404
    nothing = client.post("/v1/payout-batches", json={"currency": "NOK"}, headers=demo.telenor)
    assert nothing.status_code == 409
    assert nothing.json()["code"] == "nothing_to_pay"

    payouts = client.get("/v1/payouts", params={"status": "sent"}, headers=demo.telenor).json()
    ours = [p for p in payouts["items"] if p["case_id"] == case["id"]]
    assert [(p["status"], p["destination"]) for p in ours] == [("sent", "no_account •••• 7947")]
    report = status_report(body["message_id"], (ours[0]["id"].replace("-", ""), "ACSC", None))
    wrong_type = client.post(
        "/v1/payout-batches/status-reports", content=report, headers=demo.telenor
    )
    assert wrong_type.status_code == 415
    garbage = client.post(
        "/v1/payout-batches/status-reports", content=b"<x", headers={**demo.telenor, **XML}
    )
    assert garbage.status_code == 422
    assert garbage.json()["code"] == "invalid_status_report"
    foreign = client.post(
        "/v1/payout-batches/status-reports", content=report, headers={**demo.att, **XML}
    )
    assert foreign.status_code == 404
    settled = client.post(
        "/v1/payout-batches/status-reports", content=report, headers={**demo.telenor, **XML}
    )
    assert settled.status_code == 200, settled.text
    assert settled.json()["settled"] == 1
    after = client.get(path, headers=demo.telenor).json()
    assert after["payout_status"] == "settled"
