"""Suspension reasons overlap: the line is barred while any is set."""

from __future__ import annotations

from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of


def test_reasons_overlap_and_the_last_one_cleared_reopens_the_line(
    client: TestClient, runtime: Runtime, demo: Demo
) -> None:
    line = next(ln for ln in lines_of(runtime, "telenor-no", status="active"))
    url = f"/v1/lines/{line.id}/suspension-flags"
    lost = client.post(url, json={"flag": "lost_stolen", "active": True}, headers=demo.telenor)
    assert lost.status_code == 200, lost.text
    assert lost.json()["status"] == "suspended"
    debt = client.post(url, json={"flag": "debt", "active": True}, headers=demo.telenor)
    assert debt.json()["suspension_flags"] == ["debt", "lost_stolen"]
    cleared = client.post(url, json={"flag": "lost_stolen", "active": False}, headers=demo.telenor)
    assert cleared.json()["status"] == "suspended"
    reopened = client.post(url, json={"flag": "debt", "active": False}, headers=demo.telenor)
    assert reopened.json()["status"] == "active"
    assert reopened.json()["suspension_flags"] == []
    events = client.get(f"/v1/lines/{line.id}", headers=demo.telenor)
    assert events.status_code == 200


def test_errors_name_the_field_and_tenants_stay_apart(
    client: TestClient, runtime: Runtime, demo: Demo
) -> None:
    line = next(ln for ln in lines_of(runtime, "telenor-no", status="active"))
    url = f"/v1/lines/{line.id}/suspension-flags"
    bad = client.post(url, json={"flag": "holiday", "active": True}, headers=demo.telenor)
    assert bad.status_code == 422
    assert "flag" in bad.text
    other = client.post(url, json={"flag": "debt", "active": True}, headers=demo.att)
    assert other.status_code == 404
    ended = next(ln for ln in lines_of(runtime, "mts-ru", status="terminated"))
    refused = client.post(
        f"/v1/lines/{ended.id}/suspension-flags",
        json={"flag": "debt", "active": True},
        headers=demo.key("mts-ru"),
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "line_not_suspendable"
