"""A refused key wins over everything else, and a revoked key writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from simexit.access.service import revoke_key
from simexit.models import AuditEvent, Case
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, lines_of


def _counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.read_session() as session:
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return int(cases), int(events)


def test_a_bad_key_with_a_bad_body_is_refused_as_unauthorised(
    client: TestClient, demo: Demo
) -> None:
    answer = client.post(
        "/v1/cases", json={"line_id": "not-a-uuid"}, headers={"Authorization": "Bearer sx_bad_key"}
    )
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_revoked_key_writes_nothing(client: TestClient, runtime: Runtime, demo: Demo) -> None:
    key = demo.seed.api_keys["telenor-no"]
    prefix = key.split("_")[1]
    with runtime.db.session() as session:
        revoke_key(session, actor=Actor(ActorType.cli, "test"), prefix=prefix, now=NOW)
    before = _counts(runtime)
    line = lines_of(runtime, "telenor-no", status="active")[0]
    answer = client.post(
        "/v1/cases", json={"line_id": str(line.id), "type": "terminate"}, headers=demo.telenor
    )
    assert answer.status_code == 401
    assert answer.json()["code"] == "api_key_revoked"
    assert _counts(runtime) == before
