"""TM Forum hubs: each change of an order's state reaches the hub once, signed, through the
durable webhook deliveries; a hub gets only the events it named; products' status events."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from simexit.jobs.runner import run_pending
from simexit.kit.standard_webhooks import verify_webhook_signature
from simexit.models import AuditEvent, Notification, WebhookDelivery
from simexit.notifications import service as notifications
from simexit.notifications.webhooks import plan_post
from simexit.runtime import Runtime
from simexit.tmf import events as tmf_events
from tests.api.conftest import NOW, Demo, TestClient, lines_of

ORDERS = "/tmf-api/productOrderingManagement/v4"
PRODUCTS = "/tmf-api/productInventory/v4"
MESSAGES = "/tmf-api/communicationManagement/v4"
CALLBACK = "https://crm.example/tmf/listener"


def _deliveries(runtime: Runtime, event_type: str) -> list[WebhookDelivery]:
    with runtime.db.read_session() as session:
        return list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.event_type == event_type)
                .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            )
        )


def _hub(client: TestClient, headers: dict[str, str], base: str = ORDERS) -> dict[str, Any]:
    answer = client.post(f"{base}/hub", json={"callback": CALLBACK}, headers=headers)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    assert made["secret"].startswith("whsec_")
    return made


class TestOrderHub:
    def test_each_state_change_reaches_the_hub_once_signed(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        mts = demo.key("mts-ru")
        hub = _hub(client, mts)
        catch_all = client.post(
            "/v1/webhook-endpoints", json={"url": "https://bss.example/all"}, headers=mts
        )
        assert catch_all.status_code == 201, catch_all.text
        line = next(
            li
            for li in lines_of(runtime, "mts-ru", status="active")
            if li.unpaid_bills_minor > 0 and not li.port_pending
        )
        order = client.post(
            f"{ORDERS}/productOrder",
            json={
                "productOrderItem": [
                    {"id": "1", "action": "delete", "product": {"id": str(line.id)}}
                ]
            },
            headers=mts,
        ).json()
        assert order["state"] == "held"
        assert _deliveries(runtime, "ProductOrderStateChangeEvent") == []  # created, not changed
        paid = client.post(
            f"/v1/lines/{line.id}/events",
            json={"type": "bill_paid", "amount": f"{line.unpaid_bills_minor / 100:.2f}"},
            headers=mts,
        )
        assert paid.status_code == 200, paid.text
        state = client.get(f"{ORDERS}/productOrder/{order['id']}", headers=mts).json()["state"]
        assert state != "held"
        # Reading it again changes nothing and sends nothing.
        client.get(f"{ORDERS}/productOrder/{order['id']}", headers=mts)
        sent = _deliveries(runtime, "ProductOrderStateChangeEvent")
        states = [json.loads(d.body)["data"]["event"]["productOrder"]["state"] for d in sent]
        # One transaction's events share their time, so their order is not asserted: each state
        # the order passed through (here none twice) was sent exactly once, the last one included.
        assert state in states
        assert len(states) == len(set(states))
        assert {d.url for d in sent} == {CALLBACK}  # the catch-all endpoint does not get them
        with runtime.db.read_session() as session:
            request = plan_post(session, now=NOW, delivery_id=sent[0].id)
        assert request is not None
        assert request.headers is not None
        verify_webhook_signature(
            secret=hub["secret"], headers=request.headers, body=request.body, now=NOW
        )
        body = json.loads(request.body)
        assert body["type"] == "ProductOrderStateChangeEvent"
        assert body["data"]["eventType"] == "ProductOrderStateChangeEvent"
        assert body["data"]["event"]["productOrder"]["id"] == order["id"]

    def test_cancelling_sends_the_cancelled_state(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        _hub(client, demo.telenor)
        line = next(
            li
            for li in lines_of(runtime, "telenor-no", status="active")
            if not li.port_pending and not li.unpaid_bills_minor and li.plan == "postpaid"
        )
        order = client.post(
            f"{ORDERS}/productOrder",
            json={
                "productOrderItem": [
                    {"id": "1", "action": "delete", "product": {"id": str(line.id)}}
                ]
            },
            headers=demo.telenor,
        ).json()
        client.post(
            f"{ORDERS}/cancelProductOrder",
            json={"productOrder": {"id": order["id"]}},
            headers=demo.telenor,
        )
        sent = _deliveries(runtime, "ProductOrderStateChangeEvent")
        assert [json.loads(d.body)["data"]["event"]["productOrder"]["state"] for d in sent] == [
            "cancelled"
        ]

    def test_a_hub_is_removed_and_another_operator_cannot_see_it(
        self, client: TestClient, demo: Demo
    ) -> None:
        hub = _hub(client, demo.telenor)
        assert client.get(f"{ORDERS}/hub/{hub['id']}", headers=demo.att).status_code == 404
        assert client.get(f"{PRODUCTS}/hub/{hub['id']}", headers=demo.telenor).status_code == 404
        assert client.get(f"{ORDERS}/hub/{hub['id']}", headers=demo.telenor).status_code == 200
        assert client.delete(f"{ORDERS}/hub/{hub['id']}", headers=demo.att).status_code == 404
        gone = client.delete(f"{ORDERS}/hub/{hub['id']}", headers=demo.telenor)
        assert gone.status_code == 204
        after = client.get(f"{ORDERS}/hub/{hub['id']}", headers=demo.telenor).json()
        assert after["state"] == "disabled"

    def test_a_reseller_cannot_register_a_hub(self, client: TestClient, demo: Demo) -> None:
        answer = client.post(f"{ORDERS}/hub", json={"callback": CALLBACK}, headers=demo.reseller)
        assert answer.status_code == 403
        assert answer.json()["status"] == "403"


class TestProductHub:
    def test_a_suspension_sends_the_product_status(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        _hub(client, demo.telenor, PRODUCTS)
        line = lines_of(runtime, "telenor-no", status="active")[0]
        answer = client.post(
            f"/v1/lines/{line.id}/suspension-flags",
            json={"flag": "debt", "active": True},
            headers=demo.telenor,
        )
        assert answer.status_code == 200, answer.text
        sent = _deliveries(runtime, "ProductStatusChangeEvent")
        assert [json.loads(d.body)["data"]["event"]["product"]["status"] for d in sent] == [
            "suspended"
        ]
        assert _deliveries(runtime, "ProductOrderStateChangeEvent") == []


class TestChangesMadeElsewhere:
    def test_a_review_decision_on_v1_moves_the_order_and_tells_the_hub(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        _hub(client, demo.telenor)
        # Telenor's pack sends a termination with unpaid bills to review: the order is pending.
        line = next(
            li
            for li in lines_of(runtime, "telenor-no", status="active")
            if li.unpaid_bills_minor > 0 and not li.port_pending
        )
        order = client.post(
            f"{ORDERS}/productOrder",
            json={
                "productOrderItem": [
                    {"id": "1", "action": "delete", "product": {"id": str(line.id)}}
                ]
            },
            headers=demo.telenor,
        ).json()
        assert order["state"] == "pending", order
        case_id = order["productOrderItem"][0]["simexitCase"]["id"]
        approved = client.post(
            f"/v1/cases/{case_id}/approve", json={"note": "paid at the till"}, headers=demo.telenor
        )
        assert approved.status_code == 200, approved.text
        after = client.get(f"{ORDERS}/productOrder/{order['id']}", headers=demo.telenor).json()
        assert after["state"] == "inProgress"
        sent = _deliveries(runtime, "ProductOrderStateChangeEvent")
        assert [json.loads(d.body)["data"]["event"]["productOrder"]["state"] for d in sent] == [
            "inProgress"
        ]


class TestOrderCreation:
    def test_a_new_order_is_told_once_with_its_first_state(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        hub = _hub(client, demo.telenor)
        assert set(hub["events"]) == {"ProductOrderCreateEvent", "ProductOrderStateChangeEvent"}
        line = next(
            li
            for li in lines_of(runtime, "telenor-no", status="active")
            if li.unpaid_bills_minor > 0 and not li.port_pending
        )
        order = client.post(
            f"{ORDERS}/productOrder",
            json={
                "productOrderItem": [
                    {"id": "1", "action": "delete", "product": {"id": str(line.id)}}
                ]
            },
            headers=demo.telenor,
        ).json()
        created = _deliveries(runtime, "ProductOrderCreateEvent")
        assert len(created) == 1
        event = json.loads(created[0].body)["data"]
        assert event["eventType"] == "ProductOrderCreateEvent"
        assert event["event"]["productOrder"]["id"] == order["id"]
        assert event["event"]["productOrder"]["state"] == order["state"] == "pending"
        # The first state is the creation's: no state change is sent for it.
        assert _deliveries(runtime, "ProductOrderStateChangeEvent") == []


class TestPublicHrefs:
    def test_events_carry_absolute_hrefs_when_the_base_url_is_set(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        _hub(client, demo.telenor, PRODUCTS)
        line = lines_of(runtime, "telenor-no", status="active")[0]
        tmf_events.use_public_base("https://simexit.operator.example/")
        try:
            client.post(
                f"/v1/lines/{line.id}/suspension-flags",
                json={"flag": "debt", "active": True},
                headers=demo.telenor,
            )
        finally:
            tmf_events.use_public_base("")
        sent = _deliveries(runtime, "ProductStatusChangeEvent")
        product = json.loads(sent[0].body)["data"]["event"]["product"]
        assert product["href"] == (
            f"https://simexit.operator.example/tmf-api/productInventory/v4/product/{line.id}"
        )


class TestMessageHub:
    def _post(self, client: TestClient, headers: dict[str, str], line_id: str) -> dict[str, Any]:
        answer = client.post(
            f"{MESSAGES}/communicationMessage",
            json={
                "content": "Planned maintenance tonight.",
                "messageType": "SMS",
                "receiver": [{"id": line_id}],
                "sender": {"name": "Ops"},
            },
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()
        return made

    def _states(self, runtime: Runtime) -> list[str]:
        sent = _deliveries(runtime, "CommunicationMessageStateChangeEvent")
        return [json.loads(d.body)["data"]["event"]["communicationMessage"]["state"] for d in sent]

    def test_a_message_is_told_created_then_completed_once(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        hub = _hub(client, demo.telenor, MESSAGES)
        assert set(hub["events"]) == {
            "CommunicationMessageCreateEvent",
            "CommunicationMessageStateChangeEvent",
        }
        line = lines_of(runtime, "telenor-no", status="active")[0]
        message = self._post(client, demo.telenor, str(line.id))
        created = _deliveries(runtime, "CommunicationMessageCreateEvent")
        assert [
            json.loads(d.body)["data"]["event"]["communicationMessage"]["id"] for d in created
        ] == [message["id"]]
        assert self._states(runtime) == []
        runtime.prepare_jobs_once()
        run_pending(runtime.db, now=NOW, worker_id="test")
        run_pending(runtime.db, now=NOW, worker_id="test")  # nothing settles twice
        assert self._states(runtime) == ["completed"]
        shown = client.get(
            f"{MESSAGES}/communicationMessage/{message['id']}", headers=demo.telenor
        ).json()
        assert shown["state"] == "completed"
        listed = client.get(
            f"{MESSAGES}/communicationMessage", params={"state": "completed"}, headers=demo.telenor
        ).json()
        assert message["id"] in [m["id"] for m in listed]
        with runtime.db.read_session() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.subject_id == message["id"])
            ).all()
        assert "tmf_message.state_changed" in actions

    def test_a_message_whose_delivery_died_is_told_failed(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        _hub(client, demo.telenor, MESSAGES)
        line = lines_of(runtime, "telenor-no", status="active")[0]
        message = self._post(client, demo.telenor, str(line.id))
        with runtime.db.session() as session:
            notification = session.scalars(
                select(Notification).where(Notification.kind == "operator.message")
            ).one()
            # What the delivery job's `on_dead` hook does when it gives up.
            notifications.mark_dead(
                session, notification_id=str(notification.id), error="gateway down", now=NOW
            )
        assert self._states(runtime) == ["failed"]
        shown = client.get(
            f"{MESSAGES}/communicationMessage/{message['id']}", headers=demo.telenor
        ).json()
        assert shown["state"] == "failed"

    def test_an_order_hub_does_not_get_message_events(
        self, client: TestClient, demo: Demo, runtime: Runtime
    ) -> None:
        _hub(client, demo.telenor, ORDERS)
        line = lines_of(runtime, "telenor-no", status="active")[0]
        self._post(client, demo.telenor, str(line.id))
        assert _deliveries(runtime, "CommunicationMessageCreateEvent") == []
