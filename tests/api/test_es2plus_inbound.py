"""POST /v1/esim/gsma/rsp2/es2plus/handleDownloadProgressInfo: the SM-DP+'s SGP.22 notice of a
download's progress, taken with the operator's key, kept on the line, and an installation on a
line that has ended noticed and its subscriber told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
from sqlalchemy import select

from simexit.lines.states import LineStatus
from simexit.models import AuditEvent, Line, Notification
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of
from tests.api.test_lines_api import give_valid_iccid

PATH = "/v1/esim/gsma/rsp2/es2plus/handleDownloadProgressInfo"
SCHEMA = (
    Path(__file__).parents[1]
    / "fakes"
    / "es2plus_schemas"
    / "ostelco-ES2+HandleDownloadProgressInfo-def.json"
)


def notice(iccid: str, *, point: int = 4, status: str = "Executed-Success", **more: Any) -> Any:
    body = {
        "header": {
            "functionRequesterIdentifier": "smdp.example",
            "functionCallIdentifier": f"dpi-{iccid}-{point}",
        },
        "iccid": iccid,
        "profileType": "P-STD",
        "timestamp": "2026-11-20T08:00:00Z",
        "notificationPointId": point,
        "notificationPointStatus": {"status": status},
        **more,
    }
    # What the tests send is what an SM-DP+ sends: valid against the published schema.
    jsonschema_rs.validator_for(json.loads(SCHEMA.read_text())).validate(body)
    return body


def _esim_line(runtime: Runtime) -> tuple[Line, str]:
    line = lines_of(runtime, "telenor-no", kind="esim", status="active")[0]
    return line, give_valid_iccid(runtime, line)


def _line(runtime: Runtime, line: Line) -> Line:
    with runtime.db.read_session() as session:
        stored = session.get(Line, line.id)
        assert stored is not None
        return stored


def _actions(runtime: Runtime, line: Line) -> list[str]:
    with runtime.db.read_session() as session:
        return list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(line.id)))
        )


def test_an_installation_is_kept_on_the_line_and_answered_in_sgp22_shape(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line, iccid = _esim_line(runtime)
    response = client.post(PATH, json=notice(iccid), headers=demo.telenor)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "header": {"functionExecutionStatus": {"status": "Executed-Success"}}
    }
    assert _line(runtime, line).esim_profile_state == "installed"
    assert "line.esim_profile_installed" in _actions(runtime, line)


def test_a_failed_step_is_recorded_and_changes_no_state(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line, iccid = _esim_line(runtime)
    failed = notice(
        iccid + "F",  # SGP.22 allows the ICCID's padding F
        point=3,
        status="Failed",
        notificationPointStatus={
            "status": "Failed",
            "statusCodeData": {"subjectCode": "8.1", "reasonCode": "4.2"},
        },
    )
    response = client.post(PATH, json=failed, headers=demo.telenor)
    assert response.status_code == 200, response.text
    assert _line(runtime, line).esim_profile_state is None
    assert "line.esim_profile_download_failed" in _actions(runtime, line)


def test_an_installation_on_a_terminated_line_is_noticed_and_the_subscriber_told(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    line, iccid = _esim_line(runtime)
    with runtime.db.session() as session:
        stored = session.get(Line, line.id)
        assert stored is not None
        stored.status = LineStatus.terminated
    response = client.post(PATH, json=notice(iccid), headers=demo.telenor)
    assert response.status_code == 200, response.text
    assert "line.esim_profile_on_ended_line" in _actions(runtime, line)
    with runtime.db.read_session() as session:
        kinds = session.scalars(
            select(Notification.kind).where(Notification.kind == "esim.delete_profile")
        ).all()
    assert kinds


def test_it_takes_the_operators_key(client: TestClient, runtime: Runtime) -> None:
    _, iccid = _esim_line(runtime)
    assert client.post(PATH, json=notice(iccid)).status_code == 401


def test_another_operators_key_does_not_find_the_line(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    _, iccid = _esim_line(runtime)
    response = client.post(PATH, json=notice(iccid), headers=demo.att)
    assert response.status_code == 404
    assert response.json()["code"] == "line_not_found"


def test_a_notice_without_its_header_is_refused_by_name(
    client: TestClient, demo: Demo, runtime: Runtime
) -> None:
    _, iccid = _esim_line(runtime)
    body = notice(iccid)
    del body["header"]
    response = client.post(PATH, json=body, headers=demo.telenor)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.header"
