"""Lines, previews, SIM returns, eSIM notices and port-outs over HTTP."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, select
from stdnum import luhn

from simexit.clock import utc_now
from simexit.models import AuditEvent, Line, Notification
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of


def give_valid_iccid(runtime: Runtime, line: Line) -> str:
    """The demo seed makes 18-digit ICCIDs; real ones (and the API) have 19-20."""
    body = "894701" + str(line.id.int)[:12]
    iccid = body + luhn.calc_check_digit(body)
    with runtime.db.session() as session:
        stored = session.get(Line, line.id)
        assert stored is not None
        stored.iccid = iccid
    return iccid


class TestLines:
    def test_find_by_number_returns_the_iccid(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no")[0]
        response = client.get("/v1/lines", params={"msisdn": line.msisdn}, headers=demo.telenor)
        assert response.status_code == 200
        assert [item["iccid"] for item in response.json()["items"]] == [line.iccid]

    def test_number_must_be_e164(self, client: TestClient, demo: Demo) -> None:
        response = client.get("/v1/lines", params={"msisdn": "0047 12"}, headers=demo.telenor)
        assert response.status_code == 422
        assert response.json()["errors"][0] == {
            "field": "query.msisdn",
            "code": "e164",
            "detail": response.json()["errors"][0]["detail"],
        }

    def test_get_line_money_is_decimal_strings(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no", plan="prepaid")[0]
        body = client.get(f"/v1/lines/{line.id}", headers=demo.telenor).json()
        assert body["balance"]["currency"] == "NOK"
        assert "." in body["balance"]["amount"]

    def test_preview_blocks_a_pending_port(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no", port_pending=True)[0]
        response = client.get(
            f"/v1/lines/{line.id}/preview", params={"type": "terminate"}, headers=demo.telenor
        )
        assert response.status_code == 200
        preview = response.json()
        assert preview["outcome"] == "block"
        assert any(b["code"] == "port_pending" for b in preview["blockers"])
        assert preview["checklist"]

    def test_preview_date_bounds(self, client: TestClient, demo: Demo, runtime: Runtime) -> None:
        line = lines_of(runtime, "telenor-no")[0]
        response = client.get(
            f"/v1/lines/{line.id}/preview",
            params={"requested_date": "9999-12-31"},
            headers=demo.telenor,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "date_range"


class TestSimReturn:
    def test_records_once_with_audit(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no", kind="physical_sim")[0]
        first = client.post(
            f"/v1/lines/{line.id}/sim-return", json={"note": "at the shop"}, headers=demo.telenor
        )
        second = client.post(f"/v1/lines/{line.id}/sim-return", json={}, headers=demo.telenor)
        assert first.status_code == second.status_code == 200
        assert first.json()["sim_returned_at"] == second.json()["sim_returned_at"]
        with runtime.db.read_session() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == str(line.id))
            ).all()
        assert actions == ["line.sim_returned"]


class TestEsimNotices:
    def test_deleted_profile_of_active_line_keeps_contract_and_tells_subscriber(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no", kind="esim", status="active")[0]
        iccid = give_valid_iccid(runtime, line)
        notice = {"iccid": iccid, "eid": line.eid, "event": "deleted", "at": "2026-11-20T08:00:00Z"}
        response = client.post("/v1/esim/notifications", json=notice, headers=demo.telenor)
        assert response.status_code == 202, response.text
        assert response.json() == {
            "line_id": str(line.id),
            "line_status": "active",
            "contract_changed": False,
            "subscriber_notified": True,
        }
        with runtime.db.read_session() as session:
            stored = session.get(Line, line.id)
            assert stored is not None
            assert stored.status == "active"
            kinds = session.scalars(
                select(Notification.kind).where(Notification.kind == "esim.deleted_line_active")
            ).all()
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == str(line.id))
            ).all()
        assert kinds
        assert "line.esim_profile_deleted" in actions

    def test_iccid_is_luhn_checked(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/esim/notifications",
            json={"iccid": "8947010000000000011", "event": "deleted", "at": "2026-11-20T08:00:00Z"},
            headers=demo.telenor,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "iccid_checksum"

    def test_physical_sim_is_refused(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no", kind="physical_sim")[0]
        iccid = give_valid_iccid(runtime, line)
        response = client.post(
            "/v1/esim/notifications",
            json={"iccid": iccid, "event": "deleted", "at": "2026-11-20T08:00:00Z"},
            headers=demo.telenor,
        )
        # 409: the request is well formed (a fuzzer's "valid request"); the line's kind refuses it.
        assert response.status_code == 409
        assert response.json()["code"] == "line_not_esim"

    def test_a_notice_with_microseconds_fits_the_notification_row(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        """Found by schemathesis on PostgreSQL: the message's subject (line id and notice time)
        passed 64 characters when the time had a fraction of a second, and the insert failed."""
        line = lines_of(runtime, "telenor-no", kind="esim", status="active")[0]
        notice = {
            "iccid": give_valid_iccid(runtime, line),
            "event": "deleted",
            "at": "2026-11-20T08:00:00.363689+01:00",
        }
        response = client.post("/v1/esim/notifications", json=notice, headers=demo.telenor)
        assert response.status_code == 202, response.text
        assert response.json()["subscriber_notified"] is True
        column_type = Notification.__table__.c.subject_id.type
        assert isinstance(column_type, String)
        limit = column_type.length
        assert limit is not None
        with runtime.db.read_session() as session:
            subjects = session.scalars(
                select(Notification.subject_id).where(
                    Notification.kind == "esim.deleted_line_active"
                )
            ).all()
        assert subjects
        assert all(len(subject) <= limit for subject in subjects), subjects


class TestPortOut:
    def test_request_then_complete_ends_the_donor_line_and_closes_cases(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(
            runtime, "telenor-no", status="active", port_pending=False, plan="postpaid"
        )[0]
        draft = client.post(
            "/v1/cases", json={"line_id": str(line.id), "type": "suspend"}, headers=demo.telenor
        ).json()
        requested = client.post(
            "/v1/port-outs",
            json={"msisdn": line.msisdn, "recipient_operator": "Ice"},
            headers=demo.telenor,
        )
        assert requested.status_code == 201, requested.text
        again = client.post(
            "/v1/port-outs",
            json={"msisdn": line.msisdn, "recipient_operator": "Ice"},
            headers=demo.telenor,
        )
        assert again.status_code == 200
        assert again.json()["id"] == requested.json()["id"]
        assert (
            client.get(f"/v1/lines/{line.id}", headers=demo.telenor).json()["port_pending"] is True
        )
        preview = client.get(f"/v1/lines/{line.id}/preview", headers=demo.telenor).json()
        assert preview["outcome"] == "block"
        assert "port_pending" in {b["code"] for b in preview["blockers"]}
        # Instead of a termination that cannot proceed: what the port will do.
        plan = preview["port_out"]
        assert plan["id"] == requested.json()["id"]
        assert plan["recipient_operator"] == "Ice"
        assert plan["ends"] == "on_port_completion"
        assert "port_pending" not in {b["code"] for b in plan["settlement"]["blockers"]}

        future = client.post(
            f"/v1/port-outs/{requested.json()['id']}/complete",
            json={"completed_at": (utc_now() + timedelta(days=2)).isoformat()},
            headers=demo.telenor,
        )
        assert future.status_code == 422, future.text
        assert future.json()["field"] == "completed_at", future.text
        assert "future" in future.json()["detail"], future.text

        completed = client.post(
            f"/v1/port-outs/{requested.json()['id']}/complete", json={}, headers=demo.telenor
        )
        assert completed.status_code == 200, completed.text
        assert completed.json()["status"] == "completed"
        after = client.get(f"/v1/lines/{line.id}", headers=demo.telenor).json()
        assert after["status"] == "number_released"
        assert after["port_pending"] is False
        assert (
            client.get(f"/v1/cases/{draft['id']}", headers=demo.telenor).json()["status"]
            == "withdrawn"
        )
        # The port's own case settles the line: found by its type on the line.
        listed = client.get(
            "/v1/cases", params={"line_id": str(line.id)}, headers=demo.telenor
        ).json()
        port_cases = [c for c in listed["items"] if c["type"] == "port_out"]
        assert len(port_cases) == 1
        assert port_cases[0]["status"] in {"executing", "completed"}
        assert (
            client.get(f"/v1/lines/{line.id}/preview", headers=demo.telenor).json()["port_out"]
            is None
        )
        repeat = client.post(
            f"/v1/port-outs/{requested.json()['id']}/complete", json={}, headers=demo.telenor
        )
        assert repeat.status_code == 200

    def test_reseller_key_cannot_drive_port_outs(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        sold = lines_of(runtime, "telenor-no", purchase_channel="reseller", status="active")[0]
        response = client.post(
            "/v1/port-outs",
            json={"msisdn": sold.msisdn, "recipient_operator": "Ice"},
            headers=demo.reseller,
        )
        assert response.status_code == 403

    def test_unknown_port_out_is_404(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/port-outs/00000000-0000-4000-8000-000000000000/complete",
            json={},
            headers=demo.telenor,
        )
        assert response.status_code == 404
        assert response.json()["code"] == "port_out_not_found"
