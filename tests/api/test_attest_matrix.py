"""Who may record an identity check (issue 18, item 4): an operator key only with the
`identity:attest` scope given when it was made, never a reseller's key, never an agent without a
staff role; every attestation names who vouched and the method, on the check and in the audit."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from simexit.access import scopes
from simexit.access import service as key_service
from simexit.cases import service as cases
from simexit.errors import InvalidInput
from simexit.models import Subscriber, Verification
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from simexit.verification.methods import Method
from simexit.verification.secrets import document_hash
from tests.api.admin_support import audit_rows, cases_key
from tests.api.conftest import NOW, Demo, TestClient, lines_of
from tests.api.test_cases_api import clean_line, open_case

PASSPORT = {"method": "id_document", "document_type": "passport", "document_last4": "1234"}


def key_with(runtime: Runtime, *granted: str, name: str) -> dict[str, str]:
    with runtime.db.session() as session:
        created = key_service.create_key(
            session,
            actor=Actor(ActorType.cli, "tests"),
            operator_code="telenor-no",
            name=name,
            now=NOW,
            scopes=granted,
        )
    return {"Authorization": f"Bearer {created.secret}"}


def attest(client: TestClient, case: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/v1/cases/{case['id']}/identity", json=PASSPORT, headers=headers)


def verifications(runtime: Runtime) -> list[Verification]:
    with runtime.db.read_session() as session:
        return list(session.scalars(select(Verification)))


class TestOperatorKeys:
    def test_a_key_without_the_scope_is_refused_with_the_scope_named(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        headers = cases_key(runtime)
        response = attest(client, case, headers)
        assert response.status_code == 403, response.text
        body = response.json()
        assert body["code"] == "attest_scope_required"
        assert "identity:attest" in body["detail"]
        assert verifications(runtime) == []
        got = client.get(f"/v1/cases/{case['id']}", headers=headers).json()
        assert "identity" not in got["actions"]

    def test_a_key_made_with_the_scope_attests_and_is_named(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        headers = key_with(runtime, "cases", "identity:attest", name="store tills")
        assert (
            "identity" in client.get(f"/v1/cases/{case['id']}", headers=headers).json()["actions"]
        )
        response = attest(client, case, headers)
        assert response.status_code == 201, response.text
        (check,) = verifications(runtime)
        assert check.method == "id_document"
        assert check.evidence["attested_by"]["name"] == "store tills"
        assert check.evidence["attested_by"]["type"] == "integrator"
        (row,) = audit_rows(runtime, "verification.attested")
        assert row.changes["method"] == "id_document"
        assert row.changes["attested_by"]["name"] == "store tills"
        assert f"{row.actor_type}:{row.actor_id}" == check.verified_by

    def test_a_key_with_every_scope_attests(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        assert attest(client, case, demo.telenor).status_code == 201
        (check,) = verifications(runtime)
        assert check.evidence["attested_by"]["name"] == "demo integration"


class TestResellers:
    def test_a_resellers_key_is_refused_on_its_own_case(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        sold = lines_of(runtime, "telenor-no", purchase_channel="reseller", status="active")[0]
        case = client.post(
            "/v1/cases", json={"line_id": str(sold.id), "type": "suspend"}, headers=demo.reseller
        ).json()
        response = attest(client, case, demo.reseller)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "not_permitted"
        assert verifications(runtime) == []

    def test_a_resellers_key_is_not_found_on_another_case(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        assert attest(client, case, demo.reseller).status_code == 404

    def test_a_resellers_key_cannot_be_made_with_the_scope(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            scopes.check_requested(("cases", "identity:attest"), for_reseller=True)
        assert refused.value.field == "scopes"
        assert "identity:attest" in refused.value.message


class TestStaff:
    def test_an_agent_without_a_role_is_refused(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, clean_line(runtime).id)
        roleless = Actor(
            ActorType.agent, "temp@telenor-no.demo", operator_id=demo.operator_ids["telenor-no"]
        )
        with runtime.db.session() as session, pytest.raises(scopes.ScopeRequired):
            cases.attest_identity(
                session,
                runtime.cases,
                actor=roleless,
                case_id=uuid.UUID(case["id"]),
                method=Method.id_document,
                now=NOW,
            )
        assert verifications(runtime) == []

    def test_a_subscriber_is_never_an_attester(self) -> None:
        assert not scopes.may_attest(Actor(ActorType.subscriber, "s", scopes=frozenset({"*"})))


class TestDocumentNumber:
    def on_file(self, runtime: Runtime, number: str) -> Any:
        line = clean_line(runtime)
        with runtime.db.session() as session:
            session.execute(
                update(Subscriber)
                .where(Subscriber.id == line.subscriber_id)
                .values(
                    id_document_hash=document_hash(
                        number, secret=runtime.cases.secret_key, operator_id=line.operator_id
                    )
                )
            )
        return line

    def test_the_number_on_file_is_compared_and_never_kept(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, self.on_file(runtime, "AB1234567").id)
        body = {**PASSPORT, "document_number": "ab1234567"}
        response = client.post(f"/v1/cases/{case['id']}/identity", json=body, headers=demo.telenor)
        assert response.status_code == 201, response.text
        (check,) = verifications(runtime)
        assert check.evidence["document_number_compared"] is True
        assert check.evidence["document_last4"] == "4567"
        assert "1234567" not in str(check.evidence)

    def test_another_number_is_refused_by_name(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, self.on_file(runtime, "AB1234567").id)
        body = {**PASSPORT, "document_number": "ZZ9999999"}
        response = client.post(f"/v1/cases/{case['id']}/identity", json=body, headers=demo.telenor)
        assert response.status_code == 422, response.text
        assert (response.json()["code"], response.json()["field"]) == (
            "document_mismatch",
            "document_number",
        )
        assert verifications(runtime) == []


class TestMrz:
    def zone(self, number: str = "AB1234567", expiry: str = "301231") -> str:
        from mrz.generator.td3 import TD3CodeGenerator

        return str(
            TD3CodeGenerator("P", "NOR", "HANSEN", "KARI", number, "NOR", "700101", "F", expiry, "")
        )

    def test_a_valid_zone_with_the_number_on_file_attests(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        case = open_case(client, demo, TestDocumentNumber().on_file(runtime, "AB1234567").id)
        body = {"method": "id_document", "mrz": self.zone()}
        response = client.post(f"/v1/cases/{case['id']}/identity", json=body, headers=demo.telenor)
        assert response.status_code == 201, response.text
        (check,) = verifications(runtime)
        assert check.evidence["mrz_checked"] is True
        assert check.evidence["document_type"] == "passport"
        assert check.evidence["document_number_compared"] is True
        assert check.evidence["document_expires_on"] == "2030-12-31"

    @pytest.mark.parametrize(
        ("zone", "code", "words"),
        [
            ("expired", "mrz_invalid", "expired"),
            ("other", "document_mismatch", "not the one on file"),
        ],
    )
    def test_an_expired_or_anothers_document_is_refused(
        self, client: TestClient, demo: Demo, runtime: Runtime, zone: str, code: str, words: str
    ) -> None:
        case = open_case(client, demo, TestDocumentNumber().on_file(runtime, "AB1234567").id)
        text = self.zone(expiry="200101") if zone == "expired" else self.zone(number="ZZ9999999")
        body = {"method": "id_document", "mrz": text}
        response = client.post(f"/v1/cases/{case['id']}/identity", json=body, headers=demo.telenor)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert words in response.json()["detail"]
        assert verifications(runtime) == []
