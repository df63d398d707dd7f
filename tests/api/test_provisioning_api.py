"""Provisioning over HTTP: subscribers, lines, upserts by external id, lists, BSS events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from stdnum import luhn
from stdnum.iso7064 import mod_97_10

from simexit.models import AuditEvent, Subscriber
from simexit.provisioning import secrets
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of


def iccid(seed: int) -> str:
    body = f"8947099{seed:011d}"  # no demo ICCID starts so
    return body + luhn.calc_check_digit(body)


def eid(seed: int) -> str:
    body = f"8904903200000000000000{seed:08d}"
    return body + mod_97_10.calc_check_digits(body)


SUBSCRIBER = {
    "external_id": "CUST-1",
    "full_name": "Kari Nordmann",
    "email": "kari@example.no",
    "phone": "+4791234567",
    "language": "nb",
    "id_document_number": "AB1234567",
    "account_pin": "2468",
}
LINE = {
    "subscriber_external_id": "CUST-1",
    "external_id": "LINE-1",
    "msisdn": "+4791234567",
    "kind": "physical_sim",
    "plan": "postpaid",
    "activated_on": "2024-03-01",
    "brand": "Telenor",
    "product_name": "Fri 20GB",
    "iccid": iccid(1),
    "imsi": "242011234567890",
    "monthly_fee": "399.00",
    "unpaid_bills": "0",
    "linked_services": ["bankid"],
}


def audit_actions(runtime: Runtime, subject_id: str) -> list[str]:
    with runtime.db.read_session() as session:
        rows = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


def audit_changes(runtime: Runtime, subject_id: str) -> list[Any]:
    with runtime.db.read_session() as session:
        rows = session.scalars(
            select(AuditEvent.changes)
            .where(AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


def put_subscriber(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {**SUBSCRIBER, **fields}
    return client.put(
        f"/v1/subscribers/by-external-id/{body['external_id']}", json=body, headers=headers
    )


def put_line(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    body = {**LINE, **fields}
    return client.put(f"/v1/lines/by-external-id/{body['external_id']}", json=body, headers=headers)


class TestSubscribers:
    def test_create_stores_only_hashes_and_audits_without_secrets(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        response = client.post("/v1/subscribers", json=SUBSCRIBER, headers=demo.telenor)
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/subscribers/{body['id']}"
        assert body["id_document_last4"] == "4567"
        assert body["has_account_pin"] is True
        assert "account_pin" not in body
        with runtime.db.read_session() as session:
            row = session.get(Subscriber, uuid.UUID(body["id"]))
            assert row is not None
            assert row.account_pin_hash is not None
            assert secrets.pin_matches("2468", row.account_pin_hash)
            assert row.id_document_hash == secrets.document_hash(
                "AB1234567",
                secret=runtime.cases.secret_key,
                operator_id=demo.operator_ids["telenor-no"],
            )
        assert audit_actions(runtime, body["id"]) == ["subscriber.created"]
        (changes,) = audit_changes(runtime, body["id"])
        text = str(changes)
        assert "AB1234567" not in text
        assert "2468" not in text
        assert changes["account_pin_hash"] == "changed"

    def test_upsert_creates_then_changes_nothing_when_pushed_again(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        first = put_subscriber(client, demo.telenor)
        assert first.status_code == 201, first.text
        again = put_subscriber(client, demo.telenor)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["updated_at"] == first.json()["updated_at"]
        assert audit_actions(runtime, first.json()["id"]) == ["subscriber.created"]
        changed = put_subscriber(client, demo.telenor, full_name="Kari N.", account_pin="1357")
        assert changed.status_code == 200
        assert audit_actions(runtime, first.json()["id"]) == [
            "subscriber.created",
            "subscriber.updated",
        ]
        assert set(audit_changes(runtime, first.json()["id"])[1]) == {
            "full_name",
            "account_pin_hash",
        }

    def test_patch_get_and_list(self, client: TestClient, demo: Demo) -> None:
        created = client.post("/v1/subscribers", json=SUBSCRIBER, headers=demo.telenor).json()
        patched = client.patch(
            f"/v1/subscribers/{created['id']}", json={"email": None}, headers=demo.telenor
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["email"] is None
        got = client.get(f"/v1/subscribers/{created['id']}", headers=demo.telenor)
        assert got.json()["full_name"] == "Kari Nordmann"
        by_external = client.get("/v1/subscribers/by-external-id/CUST-1", headers=demo.telenor)
        assert by_external.json()["id"] == created["id"]
        page = client.get("/v1/subscribers", params={"limit": 2}, headers=demo.telenor).json()
        assert len(page["items"]) == 2
        assert page["next_cursor"]
        rest = client.get(
            "/v1/subscribers",
            params={"limit": 500, "cursor": page["next_cursor"]},
            headers=demo.telenor,
        ).json()
        ids = [s["id"] for s in page["items"] + rest["items"]]
        assert created["id"] in ids
        assert len(ids) == len(set(ids))

    def test_every_bad_field_is_named_with_its_rule(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/subscribers",
            json={"external_id": "X", "language": "ru", "phone": "+4712"},
            headers=demo.telenor,
        )
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "validation_failed"
        assert {(e["field"], e["code"]) for e in problem["errors"]} >= {
            ("body.language", "language_of_operator")
        }

    def test_field_errors_follow_the_callers_language(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/subscribers",
            json={"language": "ru"},
            headers={**demo.telenor, "Accept-Language": "ru"},
        )
        assert response.status_code == 422
        (entry,) = response.json()["errors"]
        assert entry["code"] == "language_of_operator"
        assert "языков оператора" in entry["detail"]
        assert "nb" in entry["detail"]

    def test_another_operators_subscriber_is_not_found(
        self, client: TestClient, demo: Demo
    ) -> None:
        created = client.post("/v1/subscribers", json=SUBSCRIBER, headers=demo.telenor).json()
        for path in (f"/v1/subscribers/{created['id']}", "/v1/subscribers/by-external-id/CUST-1"):
            assert client.get(path, headers=demo.att).status_code == 404
        patched = client.patch(
            f"/v1/subscribers/{created['id']}", json={"full_name": "x"}, headers=demo.att
        )
        assert patched.status_code == 404
        # The same external id at another operator is another subscriber.
        other = put_subscriber(client, demo.att, phone="+12015550123", language="en")
        assert other.status_code == 201, other.text
        assert other.json()["id"] != created["id"]

    def test_a_reseller_key_has_no_admin_scope(self, client: TestClient, demo: Demo) -> None:
        response = client.post("/v1/subscribers", json=SUBSCRIBER, headers=demo.reseller)
        assert response.status_code == 403
        assert response.json()["code"] == "scope_required"
        assert client.get("/v1/subscribers", headers=demo.reseller).status_code == 403


class TestLines:
    def test_upsert_by_external_id_creates_then_is_idempotent(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        put_subscriber(client, demo.telenor)
        first = put_line(client, demo.telenor)
        assert first.status_code == 201, first.text
        line = first.json()
        assert line["monthly_fee"] == {"amount": "399.00", "currency": "NOK"}
        assert line["imsi"] == "242011234567890"
        again = put_line(client, demo.telenor)
        assert again.status_code == 200
        assert again.json()["updated_at"] == line["updated_at"]
        assert audit_actions(runtime, line["id"]) == ["line.created"]
        changed = put_line(client, demo.telenor, unpaid_bills="120.50")
        assert changed.json()["unpaid_bills"]["amount"] == "120.50"
        assert audit_actions(runtime, line["id"]) == ["line.created", "line.updated"]
        assert audit_changes(runtime, line["id"])[1] == {"unpaid_bills_minor": [0, 12050]}

    def test_create_patch_and_read(self, client: TestClient, demo: Demo) -> None:
        subscriber = client.post("/v1/subscribers", json=SUBSCRIBER, headers=demo.telenor).json()
        body = {**LINE, "subscriber_id": subscriber["id"]}
        del body["subscriber_external_id"]
        created = client.post("/v1/lines", json=body, headers=demo.telenor)
        assert created.status_code == 201, created.text
        line_id = created.json()["id"]
        patched = client.patch(
            f"/v1/lines/{line_id}",
            json={"balance": "50.00", "bonus_balance": "10.00", "region": None},
            headers=demo.telenor,
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["bonus_balance"]["amount"] == "10.00"
        full = client.get(f"/v1/lines/{line_id}/provisioning", headers=demo.telenor).json()
        assert full["brand"] == "Telenor"
        plain = client.get(f"/v1/lines/{line_id}", headers=demo.telenor).json()
        assert plain["iccid"] == LINE["iccid"]
        by_external = client.get("/v1/lines/by-external-id/LINE-1", headers=demo.telenor)
        assert by_external.json()["id"] == line_id

    def test_all_field_problems_come_back_at_once(self, client: TestClient, demo: Demo) -> None:
        put_subscriber(client, demo.telenor)
        response = put_line(
            client,
            demo.telenor,
            msisdn="+12015550123",
            iccid="8947010000000000011",
            imsi="310011234567890",
            eid="8904903200000000000000000000000" + "0",
            currency="USD",
        )
        assert response.status_code == 422, response.text
        found = {(e["field"], e["code"]) for e in response.json()["errors"]}
        assert found >= {
            ("body.msisdn", "e164_for_country"),
            ("body.iccid", "iccid_luhn"),
            ("body.imsi", "imsi_mcc"),
            ("body.eid", "eid_check_digits"),
            ("body.currency", "currency_of_operator"),
        }

    def test_pydantic_field_errors_are_translated_too(self, client: TestClient, demo: Demo) -> None:
        response = client.post(
            "/v1/lines",
            json={"kind": "physical_sim"},
            headers={**demo.telenor, "Accept-Language": "nb"},
        )
        assert response.status_code == 422
        details = {e["field"]: e["detail"] for e in response.json()["errors"]}
        assert details["body.msisdn"] == "Feltet er påkrevd."

    def test_a_creating_upsert_needs_the_required_fields(
        self, client: TestClient, demo: Demo
    ) -> None:
        response = client.put(
            "/v1/lines/by-external-id/NEW-1", json={"brand": "x"}, headers=demo.telenor
        )
        assert response.status_code == 422
        found = {(e["field"], e["code"]) for e in response.json()["errors"]}
        assert ("body.msisdn", "required") in found
        assert ("body.subscriber_id", "required") in found

    def test_an_iccid_held_by_another_line_is_a_conflict(
        self, client: TestClient, demo: Demo
    ) -> None:
        put_subscriber(client, demo.telenor)
        put_line(client, demo.telenor)
        response = put_line(client, demo.telenor, external_id="LINE-2")
        assert response.status_code == 409
        assert response.json()["code"] == "iccid_taken"

    def test_list_filters_and_pages(self, client: TestClient, demo: Demo) -> None:
        put_subscriber(client, demo.telenor)
        put_line(client, demo.telenor)
        put_line(
            client,
            demo.telenor,
            external_id="LINE-2",
            iccid=iccid(2),
            brand="Talkmore",
            msisdn="+4791234568",
            plan="prepaid",
        )
        branded = client.get("/v1/lines", params={"brand": "Talkmore"}, headers=demo.telenor)
        assert branded.status_code == 200, branded.text
        assert [i["msisdn"] for i in branded.json()["items"]] == ["+4791234568"]
        prefixed = client.get(
            "/v1/lines",
            params={"msisdn_prefix": "+4791234", "plan": "postpaid"},
            headers=demo.telenor,
        ).json()
        assert [i["msisdn"] for i in prefixed["items"]] == ["+4791234567"]
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3, "status": "active"}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/v1/lines", params=params, headers=demo.telenor).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) >= 2
        assert all(i["status"] == "active" for i in page["items"])

    def test_the_number_lookup_still_works_for_a_cases_key(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no")[0]
        response = client.get("/v1/lines", params={"msisdn": line.msisdn}, headers=demo.reseller)
        assert response.status_code == 200
        filtered = client.get("/v1/lines", params={"kind": "esim"}, headers=demo.reseller)
        assert filtered.status_code == 403

    def test_another_operators_line_is_not_found(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no")[0]
        response = client.patch(f"/v1/lines/{line.id}", json={"brand": "x"}, headers=demo.att)
        assert response.status_code == 404
        event = client.post(
            f"/v1/lines/{line.id}/events", json={"type": "activity"}, headers=demo.att
        )
        assert event.status_code == 404
        listed = client.get("/v1/lines", params={"kind": line.kind}, headers=demo.att).json()
        assert str(line.id) not in {i["id"] for i in listed["items"]}


class TestEvents:
    def test_top_up_and_bills(self, client: TestClient, demo: Demo, runtime: Runtime) -> None:
        put_subscriber(client, demo.telenor)
        line = put_line(client, demo.telenor).json()
        path = f"/v1/lines/{line['id']}/events"
        topped = client.post(
            path,
            json={
                "type": "top_up",
                "amount": "100.00",
                "bonus_amount": "20.00",
                "on": "2026-11-19",
            },
            headers=demo.telenor,
        )
        assert topped.status_code == 200, topped.text
        result = topped.json()
        assert result["line"]["balance"]["amount"] == "100.00"
        assert result["line"]["last_topup_on"] == "2026-11-19"
        issued = client.post(
            path, json={"type": "bill_issued", "amount": "300"}, headers=demo.telenor
        )
        assert issued.json()["line"]["unpaid_bills"]["amount"] == "300.00"
        too_much = client.post(
            path, json={"type": "bill_paid", "amount": "301"}, headers=demo.telenor
        )
        assert too_much.status_code == 422
        assert too_much.json()["errors"][0]["code"] == "exceeds_unpaid_bills"
        paid = client.post(path, json={"type": "bill_paid", "amount": "300"}, headers=demo.telenor)
        assert paid.json()["line"]["unpaid_bills"]["amount"] == "0.00"
        assert audit_actions(runtime, line["id"])[1:] == [
            "line.topped_up",
            "line.bill_issued",
            "line.bill_paid",
        ]

    def test_sim_swap_checks_the_new_identifiers(self, client: TestClient, demo: Demo) -> None:
        put_subscriber(client, demo.telenor)
        line = put_line(client, demo.telenor).json()
        path = f"/v1/lines/{line['id']}/events"
        bad = client.post(
            path, json={"type": "sim_swap", "iccid": "8947010000000000011"}, headers=demo.telenor
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0] == {
            "field": "body.iccid",
            "code": "iccid_luhn",
            "detail": bad.json()["errors"][0]["detail"],
        }
        swapped = client.post(
            path, json={"type": "sim_swap", "iccid": iccid(9), "eid": eid(3)}, headers=demo.telenor
        )
        assert swapped.status_code == 200, swapped.text
        assert swapped.json()["line"]["iccid"] == iccid(9)
        assert set(swapped.json()["changed"]) == {"iccid", "eid"}

    def test_an_unknown_event_type_is_refused(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no")[0]
        response = client.post(
            f"/v1/lines/{line.id}/events", json={"type": "party"}, headers=demo.telenor
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "union_tag_invalid"

    def test_a_paid_bill_unblocks_a_blocked_case_without_resubmitting(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        mts = demo.key("mts-ru")
        subscriber = put_subscriber(
            client, mts, phone="+79161234567", language="ru", external_id="RU-1"
        )
        assert subscriber.status_code == 201, subscriber.text
        line = put_line(
            client,
            mts,
            external_id="RU-L1",
            subscriber_external_id="RU-1",
            msisdn="+79161234567",
            iccid=None,
            imsi="250011234567890",
            brand=None,
            unpaid_bills="500.00",
            activated_on="2023-01-10",
            monthly_fee="600.00",
        )
        assert line.status_code == 201, line.text
        line_id = line.json()["id"]
        opened = client.post(
            "/v1/cases", json={"line_id": line_id, "type": "terminate"}, headers=mts
        )
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["id"]
        attested = client.post(
            f"/v1/cases/{case_id}/identity", json={"method": "id_document"}, headers=mts
        )
        assert attested.status_code == 201, attested.text
        submitted = client.post(f"/v1/cases/{case_id}/submit", json={}, headers=mts)
        assert submitted.json()["status"] == "blocked", submitted.text
        assert "unpaid_bills" in {b["code"] for b in submitted.json()["blockers"]}

        paid = client.post(
            f"/v1/lines/{line_id}/events",
            json={"type": "bill_paid", "amount": "500.00"},
            headers=mts,
        )

        assert paid.status_code == 200, paid.text
        assert paid.json()["cases_resubmitted"] == [case_id]
        case = client.get(f"/v1/cases/{case_id}", headers=mts).json()
        assert case["status"] != "blocked"
        assert "unpaid_bills" not in {b["code"] for b in case["blockers"]}

    def test_an_event_that_still_blocks_leaves_the_case_alone(
        self, client: TestClient, demo: Demo
    ) -> None:
        mts = demo.key("mts-ru")
        put_subscriber(client, mts, phone="+79161234567", language="ru", external_id="RU-1")
        line_id = put_line(
            client,
            mts,
            external_id="RU-L1",
            subscriber_external_id="RU-1",
            msisdn="+79161234567",
            iccid=None,
            imsi=None,
            brand=None,
            unpaid_bills="500.00",
        ).json()["id"]
        case_id = client.post(
            "/v1/cases", json={"line_id": line_id, "type": "terminate"}, headers=mts
        ).json()["id"]
        client.post(f"/v1/cases/{case_id}/identity", json={"method": "id_document"}, headers=mts)
        client.post(f"/v1/cases/{case_id}/submit", json={}, headers=mts)
        partly = client.post(
            f"/v1/lines/{line_id}/events",
            json={"type": "bill_paid", "amount": "100.00"},
            headers=mts,
        )
        assert partly.json()["cases_resubmitted"] == []
        assert client.get(f"/v1/cases/{case_id}", headers=mts).json()["status"] == "blocked"


class TestEdges:
    def test_a_repeated_post_with_its_key_creates_once(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        headers = {**demo.telenor, "Idempotency-Key": "sub-create-1"}
        first = client.post("/v1/subscribers", json=SUBSCRIBER, headers=headers)
        again = client.post("/v1/subscribers", json=SUBSCRIBER, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert audit_actions(runtime, first.json()["id"]) == ["subscriber.created"]

    def test_existing_endpoints_translate_their_field_errors(
        self, client: TestClient, demo: Demo
    ) -> None:
        english = client.get("/v1/lines", params={"msisdn": "0047 12"}, headers=demo.telenor)
        russian = client.get(
            "/v1/lines",
            params={"msisdn": "0047 12"},
            headers={**demo.telenor, "Accept-Language": "ru"},
        )
        assert russian.status_code == english.status_code == 422
        (en,), (ru,) = english.json()["errors"], russian.json()["errors"]
        assert en["code"] == ru["code"] == "e164"
        assert en["detail"].startswith("must be a valid phone number")
        assert "E.164" in ru["detail"]
        assert "номером" in ru["detail"]
        assert russian.headers["Content-Language"] == "ru"

    def test_an_unknown_body_field_is_refused_by_name(self, client: TestClient, demo: Demo) -> None:
        response = client.patch(
            "/v1/subscribers/00000000-0000-0000-0000-000000000001",
            json={"colour": "red"},
            headers=demo.telenor,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "body.colour"
        assert response.json()["errors"][0]["code"] == "extra_forbidden"
