"""GET /v1/cases/{id} lists the case's teardown steps, in order, with their state."""

from __future__ import annotations

import uuid

from simexit.cases.teardown import STEPS
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient
from tests.api.test_cases_api import clean_line, open_case
from tests.web.test_console_teardown import mark_failed_at_deactivation


def test_a_failed_case_names_its_failed_step_and_the_peer_error(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    case = open_case(client, demo, clean_line(runtime).id)
    draft = client.get(f"/v1/cases/{case['id']}", headers=demo.telenor).json()
    assert [s["state"] for s in draft["teardown_steps"]] == ["pending"] * len(STEPS["terminate"])
    with runtime.db.session() as session:
        mark_failed_at_deactivation(session, uuid.UUID(case["id"]))
    body = client.get(f"/v1/cases/{case['id']}", headers=demo.telenor).json()
    assert body["status"] == "failed"
    assert body["failure_reason"] == "hss_deactivate: HLR: connection refused"
    steps = body["teardown_steps"]
    assert [s["step"] for s in steps] == [s.name for s in STEPS["terminate"]]
    assert steps[0] | {"updated_at": None} == {
        "step": "bar_outgoing",
        "state": "done",
        "attempts": 1,
        "outcome": "barred",
        "error": None,
        "updated_at": None,
    }
    assert (steps[1]["state"], steps[1]["attempts"], steps[1]["error"]) == (
        "failed",
        5,
        "HLR: connection refused",
    )
    assert all(s["state"] == "pending" and s["attempts"] == 0 for s in steps[2:])
    listed = client.get("/v1/cases", headers=demo.telenor).json()["items"]
    assert all("teardown_steps" not in c for c in listed)  # the list stays light
