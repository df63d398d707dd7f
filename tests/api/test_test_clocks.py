"""Test clocks over HTTP: a sandbox operator's time moves forward on request, and the
scheduler's due work for that operator runs before the advance answers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event, select, update

from simexit.models import AuditEvent, Case, Line, Operator
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, lines_of


def _clock(client: TestClient, demo: Demo, **body: object) -> dict[str, Any]:
    response = client.post("/v1/test-clocks", json=body, headers=demo.telenor)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _advance(client: TestClient, demo: Demo, clock_id: str, **body: object) -> Any:
    return client.post(f"/v1/test-clocks/{clock_id}/advance", json=body, headers=demo.telenor)


def _line(runtime: Runtime) -> Line:
    return lines_of(
        runtime,
        "telenor-no",
        plan="postpaid",
        unpaid_bills_minor=0,
        port_pending=False,
        kind="physical_sim",
        status="active",
    )[0]


def _approved_case(client: TestClient, demo: Demo, line_id: uuid.UUID, on: date) -> str:
    """A termination reviewed and approved for a date in the future."""
    opened = client.post(
        "/v1/cases",
        json={"line_id": str(line_id), "requested_date": on.isoformat()},
        headers=demo.telenor,
    )
    assert opened.status_code == 201, opened.text
    case_id: str = opened.json()["id"]
    identity = client.post(
        f"/v1/cases/{case_id}/identity",
        json={"method": "id_document", "document_type": "passport", "document_last4": "1234"},
        headers=demo.telenor,
    )
    assert identity.status_code == 201, identity.text
    submitted = client.post(f"/v1/cases/{case_id}/submit", json={}, headers=demo.telenor)
    assert submitted.status_code == 200, submitted.text
    if submitted.json()["status"] == "in_review":
        approved = client.post(
            f"/v1/cases/{case_id}/approve", json={"note": "ok"}, headers=demo.telenor
        )
        assert approved.status_code == 200, approved.text
    return case_id


def _case(runtime: Runtime, case_id: str) -> Case:
    with runtime.db.read_session() as session:
        case = session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


class TestCreateAndShow:
    def test_a_clock_starts_at_the_given_time_and_is_shown(
        self, client: TestClient, demo: Demo
    ) -> None:
        start = NOW - timedelta(days=3)
        created = _clock(client, demo, name="trial", frozen_time=start.isoformat())
        assert created["frozen_time"].startswith("2026-11-17T09:30")
        shown = client.get(f"/v1/test-clocks/{created['id']}", headers=demo.telenor)
        assert shown.status_code == 200
        assert shown.json() == created

    def test_one_clock_per_operator(self, client: TestClient, demo: Demo) -> None:
        _clock(client, demo)
        again = client.post("/v1/test-clocks", json={}, headers=demo.telenor)
        assert again.status_code == 409
        assert again.json()["code"] == "test_clock_exists"

    def test_another_operators_clock_is_404(self, client: TestClient, demo: Demo) -> None:
        created = _clock(client, demo)
        other = client.get(f"/v1/test-clocks/{created['id']}", headers=demo.att)
        assert other.status_code == 404
        assert other.json()["code"] == "test_clock_not_found"
        moved = client.post(
            f"/v1/test-clocks/{created['id']}/advance", json={"days": 1}, headers=demo.att
        )
        assert moved.status_code == 404

    def test_a_reseller_key_lacks_the_admin_scope(self, client: TestClient, demo: Demo) -> None:
        response = client.post("/v1/test-clocks", json={}, headers=demo.reseller)
        assert response.status_code == 403
        assert response.json()["code"] == "scope_required"

    def test_a_production_operator_is_refused(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        with runtime.db.session() as session:
            session.execute(update(Operator).values(sandbox=False))
        response = client.post("/v1/test-clocks", json={}, headers=demo.telenor)
        assert response.status_code == 409
        assert response.json()["code"] == "operator_not_sandbox"


class TestAdvance:
    def test_backwards_is_422_naming_the_field_and_rule(
        self, client: TestClient, demo: Demo
    ) -> None:
        created = _clock(client, demo)
        back = _advance(client, demo, created["id"], to=(NOW - timedelta(hours=1)).isoformat())
        assert back.status_code == 422
        problem = back.json()
        assert problem["code"] == "test_clock_not_forward"
        assert problem["field"] == "body.to"
        assert problem["rule"] == "after_frozen_time"
        zero = _advance(client, demo, created["id"], days=0)
        assert zero.status_code == 422
        assert zero.json()["errors"][0]["field"] == "body.days"
        both = _advance(client, demo, created["id"], days=1, to=NOW.isoformat())
        assert both.status_code == 422
        assert both.json()["rule"] == "one_of"

    def test_a_production_operators_clock_cannot_move(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        created = _clock(client, demo)
        with runtime.db.session() as session:
            session.execute(update(Operator).values(sandbox=False))
        response = _advance(client, demo, created["id"], days=1)
        assert response.status_code == 409
        assert response.json()["code"] == "operator_not_sandbox"

    def test_advance_is_audited_from_and_to(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        created = _clock(client, demo)
        moved = _advance(client, demo, created["id"], days=14)
        assert moved.status_code == 200, moved.text
        body = moved.json()
        assert body["clock"]["frozen_time"].startswith("2026-12-04T09:30")
        assert body["moved_from"].startswith("2026-11-20T09:30")
        assert "cases.scan_due" in body["due_work"]["scans"]
        assert body["due_work"]["jobs_pending"] == 0
        with runtime.db.read_session() as session:
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "test_clock.advanced")
            ).one()
        assert event.changes == {
            "frozen_time": [
                body["moved_from"].replace("Z", "+00:00"),
                body["clock"]["frozen_time"].replace("Z", "+00:00"),
            ]
        }

    def test_an_approved_case_completes_once_its_date_comes(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        created = _clock(client, demo)
        case_id = _approved_case(client, demo, _line(runtime).id, (NOW + timedelta(days=14)).date())
        approved = _case(runtime, case_id)
        assert approved.status == "approved"
        assert approved.effective_date is not None
        assert approved.effective_date > NOW.date() + timedelta(days=13)
        # Noon in Oslo on the day before, then on the day itself.
        day_before = datetime.combine(approved.effective_date - timedelta(days=1), time(11), UTC)
        early = _advance(client, demo, created["id"], to=day_before.isoformat())
        assert early.status_code == 200, early.text
        assert _case(runtime, case_id).status == "approved"
        moved = _advance(client, demo, created["id"], days=1)
        assert moved.status_code == 200, moved.text
        assert moved.json()["due_work"]["jobs_run"] >= 1
        assert _case(runtime, case_id).status == "completed"
        shown = client.get(f"/v1/cases/{case_id}", headers=demo.telenor)
        assert shown.json()["status"] == "completed"

    def test_a_review_past_its_sla_is_escalated_on_advance(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        created = _clock(client, demo)
        opened = client.post(
            "/v1/cases", json={"line_id": str(_line(runtime).id)}, headers=demo.telenor
        )
        case_id = opened.json()["id"]
        client.post(
            f"/v1/cases/{case_id}/identity",
            json={"method": "id_document", "document_type": "passport", "document_last4": "1234"},
            headers=demo.telenor,
        )
        submitted = client.post(f"/v1/cases/{case_id}/submit", json={}, headers=demo.telenor)
        assert submitted.json()["status"] == "in_review", submitted.text
        due = _case(runtime, case_id).sla_due_date
        assert due is not None
        after = datetime.combine(due + timedelta(days=1), time(12), UTC)
        moved = _advance(client, demo, created["id"], to=after.isoformat())
        assert moved.status_code == 200, moved.text
        with runtime.db.read_session() as session:
            actions = list(
                session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == case_id))
            )
        assert "case.sla_breached" in actions

    def test_requests_of_the_operator_run_at_its_clock(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        """A case opened after an advance is stamped with the clock's time, not the wall's."""
        created = _clock(client, demo)
        _advance(client, demo, created["id"], days=30)
        opened = client.post(
            "/v1/cases", json={"line_id": str(_line(runtime).id)}, headers=demo.telenor
        )
        assert opened.status_code == 201, opened.text
        assert _case(runtime, opened.json()["id"]).created_at.date() == date(2026, 12, 20)
        other = client.post(
            "/v1/cases",
            json={"line_id": str(lines_of(runtime, "att-us", status="active")[0].id)},
            headers=demo.att,
        )
        assert other.status_code == 201, other.text
        assert _case(runtime, other.json()["id"]).created_at == NOW

    def test_a_quarantine_end_releases_the_number(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        created = _clock(client, demo)
        line = _line(runtime)
        with runtime.db.session() as session:
            session.execute(
                update(Line)
                .where(Line.id == line.id)
                .values(
                    status="terminated",
                    terminated_on=NOW.date() - timedelta(days=170),
                    quarantine_until=NOW.date() + timedelta(days=10),
                )
            )
        _advance(client, demo, created["id"], days=9)
        assert lines_of(runtime, "telenor-no", id=line.id)[0].status == "terminated"
        _advance(client, demo, created["id"], days=2)
        assert lines_of(runtime, "telenor-no", id=line.id)[0].status == "number_released"


class TestProductionPath:
    def test_an_operator_without_a_clock_reads_no_clock_per_request(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        """Which operators have a clock is cached per process: once it is loaded, a write of an
        operator without one issues no statement about clocks."""
        lines = lines_of(runtime, "att-us", status="active")
        first = client.post("/v1/cases", json={"line_id": str(lines[0].id)}, headers=demo.att)
        assert first.status_code == 201, first.text
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(runtime.db.engine, "before_cursor_execute", record)
        try:
            second = client.post("/v1/cases", json={"line_id": str(lines[1].id)}, headers=demo.att)
        finally:
            event.remove(runtime.db.engine, "before_cursor_execute", record)
        assert second.status_code == 201, second.text
        assert statements
        assert not [s for s in statements if "test_clocks" in s]


def test_null_days_is_a_named_422(client: TestClient, demo: Demo) -> None:
    created = _clock(client, demo)
    for headers in ({}, {"Idempotency-Key": "null-days"}):
        response = client.post(
            f"/v1/test-clocks/{created['id']}/advance",
            json={"days": None},
            headers={**demo.telenor, **headers},
        )
        assert response.status_code == 422, response.text
        assert response.json()["rule"] == "one_of"
