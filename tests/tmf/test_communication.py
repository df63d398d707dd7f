"""TMF681 messages go to the operator's own subscribers through the notification channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from simexit.models import Notification
from simexit.runtime import Runtime
from tests.api.conftest import Demo, TestClient, lines_of

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
        assert (
            client.get(MESSAGES, params={"messageType": "email"}, headers=demo.telenor).json() == []
        )
        assert client.delete(f"{MESSAGES}/{sent['id']}", headers=demo.telenor).status_code == 204
        gone = client.get(f"{MESSAGES}/{sent['id']}", headers=demo.telenor)
        assert gone.status_code == 404
        assert gone.json()["code"] == "communication_message_not_found"
