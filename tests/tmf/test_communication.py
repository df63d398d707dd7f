"""TMF681 messages go to the operator's own subscribers through the notification channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from simexit.jobs.runner import run_pending
from simexit.models import Notification
from simexit.runtime import Runtime
from tests.api.conftest import NOW, Demo, TestClient, latest_code, lines_of
from tests.api.test_cases_api import clean_line, open_case

MESSAGES = "/tmf-api/communicationManagement/v4/communicationMessage"


def _send(
    client: TestClient, headers: dict[str, str], receiver: list[dict[str, str]]
) -> dict[str, Any]:
    answer = client.post(
        MESSAGES,
        json={
            "content": "Planned maintenance tonight.",
            "messageType": "SMS",
            "receiver": receiver,
            "sender": {"name": "Ops"},
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


class TestSend:
    def test_a_message_to_a_line_is_queued_as_an_sms(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "telenor-no", status="active")[0]
        sent = _send(client, demo.telenor, [{"id": str(line.id)}])
        assert sent["state"] == "inProgress"
        with runtime.db.read_session() as session:
            rows = list(
                session.scalars(select(Notification).where(Notification.kind == "operator.message"))
            )
        assert len(rows) == 1
        assert rows[0].channel == "sms"
        assert "Planned maintenance tonight." in rows[0].body_text

    def test_by_phone_number_too(self, client: TestClient, demo: Demo, runtime: Runtime) -> None:
        line = lines_of(runtime, "telenor-no", status="active")[0]
        assert _send(client, demo.telenor, [{"phoneNumber": line.msisdn}])["state"] == "inProgress"

    def test_another_operators_subscriber_is_not_sent_to(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        line = lines_of(runtime, "att-us", status="active")[0]
        sent = _send(client, demo.telenor, [{"id": str(line.id)}, {"phoneNumber": line.msisdn}])
        assert sent["state"] == "failed"
        assert "not a subscriber of yours" in sent["stateChangeReason"]
        with runtime.db.read_session() as session:
            assert (
                session.scalars(
                    select(Notification).where(Notification.kind == "operator.message")
                ).first()
                is None
            )


class TestResource:
    def test_filters_delete_and_tenancy(self, client: TestClient, demo: Demo) -> None:
        sent = _send(client, demo.telenor, [{}])
        assert client.get(f"{MESSAGES}/{sent['id']}", headers=demo.att).status_code == 404
        assert client.delete(f"{MESSAGES}/{sent['id']}", headers=demo.att).status_code == 404
        listed = client.get(MESSAGES, params={"content": sent["content"]}, headers=demo.telenor)
        assert [m["id"] for m in listed.json()] == [sent["id"]]
        assert listed.headers["X-Total-Count"] == "1"
        by_email = client.get(
            MESSAGES,
            params={"messageType": "email", "content": sent["content"]},
            headers=demo.telenor,
        )
        assert by_email.json() == []
        assert client.delete(f"{MESSAGES}/{sent['id']}", headers=demo.telenor).status_code == 204
        gone = client.get(f"{MESSAGES}/{sent['id']}", headers=demo.telenor)
        assert gone.status_code == 404
        assert gone.json()["code"] == "communication_message_not_found"


class TestSentBySimexit:
    """The messages simexit sends by itself are listed beside the posted ones."""

    def _case_message(self, client: TestClient, demo: Demo, runtime: Runtime) -> Notification:
        """A case through verification and submission: a code, then the case's own message."""
        case = open_case(client, demo, clean_line(runtime).id)
        started = client.post(
            f"/v1/cases/{case['id']}/verification", json={"method": "sms_otp"}, headers=demo.telenor
        )
        assert started.status_code == 201, started.text
        confirmed = client.post(
            f"/v1/cases/{case['id']}/verification/confirm",
            json={"code": latest_code(runtime)},
            headers=demo.telenor,
        )
        assert confirmed.status_code == 200, confirmed.text
        submitted = client.post(
            f"/v1/cases/{case['id']}/submit", json={"consent": "I agree"}, headers=demo.telenor
        )
        assert submitted.status_code == 200, submitted.text
        with runtime.db.read_session() as session:
            found = session.scalars(
                select(Notification)
                .where(Notification.kind.not_in(("operator.message", "verification.code")))
                .order_by(Notification.created_at.desc())
            ).first()
        assert found is not None, "a submitted case sends the subscriber a message"
        return found

    def test_listed_shown_and_never_deleted(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        own = self._case_message(client, demo, runtime)
        posted = _send(client, demo.telenor, [{"id": str(lines_of(runtime, "telenor-no")[0].id)}])
        listed = client.get(MESSAGES, params={"limit": 1000}, headers=demo.telenor)
        ids = [m["id"] for m in listed.json()]
        assert str(own.id) in ids
        assert posted["id"] in ids
        with runtime.db.read_session() as session:
            parts = session.scalars(
                select(Notification.id).where(Notification.kind == "operator.message")
            ).all()
        assert not {str(p) for p in parts} & set(ids), "a posted message's parts are not listed"
        assert listed.headers["X-Total-Count"] == str(len(ids))
        shown = client.get(f"{MESSAGES}/{own.id}", headers=demo.telenor)
        assert shown.status_code == 200, shown.text
        view = shown.json()
        assert view["state"] == "inProgress"
        assert view["messageType"] == ("SMS" if own.channel == "sms" else own.channel)
        assert {"name": "simexitKind", "value": own.kind} in view["characteristic"]
        refused = client.delete(f"{MESSAGES}/{own.id}", headers=demo.telenor)
        assert refused.status_code == 409
        assert refused.json()["code"] == "communication_message_not_deletable"
        assert client.get(f"{MESSAGES}/{own.id}", headers=demo.att).status_code == 404
        assert client.get(f"{MESSAGES}/{own.id}", headers=demo.reseller).status_code == 404
        for_reseller = client.get(MESSAGES, params={"limit": 1000}, headers=demo.reseller).json()
        assert str(own.id) not in [m["id"] for m in for_reseller]

    def test_state_follows_the_delivery(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        own = self._case_message(client, demo, runtime)
        runtime.prepare_jobs_once()
        run_pending(runtime.db, now=NOW, worker_id="test")
        completed = client.get(
            MESSAGES, params={"state": "completed", "limit": 1000}, headers=demo.telenor
        ).json()
        assert str(own.id) in [m["id"] for m in completed]
        in_progress = client.get(
            MESSAGES, params={"state": "inProgress", "limit": 1000}, headers=demo.telenor
        ).json()
        assert str(own.id) not in [m["id"] for m in in_progress]
        assert "sendTimeComplete" in client.get(f"{MESSAGES}/{own.id}", headers=demo.telenor).json()

    def test_a_code_message_never_shows_its_text(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        self._case_message(client, demo, runtime)
        with runtime.db.read_session() as session:
            codes = session.scalars(
                select(Notification).where(Notification.kind == "verification.code")
            ).all()
        listed = client.get(MESSAGES, params={"limit": 1000}, headers=demo.telenor).json()
        shown = {m["id"]: m for m in listed}
        assert codes
        for code in codes:
            assert shown[str(code.id)]["content"] == "[removed after sending]"
