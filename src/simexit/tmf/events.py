"""TM Forum notifications through simexit's durable, signed webhook deliveries.

A hub (`POST .../hub`) is a webhook endpoint that names the TM Forum event types it wants; those
types go only to endpoints that name them.

- TMF622: `ProductOrderCreateEvent` when an order is placed (with the state it starts in), and
  `ProductOrderStateChangeEvent` once per change of its derived state afterwards
  (`tmf_orders.notified_state` remembers the last one sent), from the transaction of the case
  change that caused it, whichever edge made it (API, worker, CLI).
- TMF637: `ProductStatusChangeEvent` accompanies simexit's own `line.suspended`, `line.resumed`
  and `line.terminated` events, and a completed case of a line.
- TMF681: `CommunicationMessageCreateEvent` when a message is posted, and
  `CommunicationMessageStateChangeEvent` when its notifications settle it (completed, failed),
  from the transaction of the delivery attempt or report that did.

Hrefs are absolute when the `base_url` setting is given (`use_public_base`).

This module registers its listeners when imported; `simexit.runtime` imports it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.cases import listeners
from simexit.cases.states import CaseStatus
from simexit.lines.states import LineStatus
from simexit.models import Case, Line, Notification, TmfMessage, TmfOrder
from simexit.notifications import listeners as notification_listeners
from simexit.notifications import webhooks
from simexit.principals import SYSTEM
from simexit.tmf import repository, views
from simexit.tmf.rules import MESSAGE_KIND, PRODUCT_STATUS_OF_LINE, message_state

ORDER_CREATE: Final = "ProductOrderCreateEvent"
ORDER_STATE_CHANGE: Final = "ProductOrderStateChangeEvent"
PRODUCT_STATUS_CHANGE: Final = "ProductStatusChangeEvent"
MESSAGE_CREATE: Final = "CommunicationMessageCreateEvent"
MESSAGE_STATE_CHANGE: Final = "CommunicationMessageStateChangeEvent"
ORDERING_EVENTS: Final = (ORDER_CREATE, ORDER_STATE_CHANGE)
COMMUNICATION_EVENTS: Final = (MESSAGE_CREATE, MESSAGE_STATE_CHANGE)
ORDERING: Final = "/tmf-api/productOrderingManagement/v4"
INVENTORY: Final = "/tmf-api/productInventory/v4"
COMMUNICATION: Final = "/tmf-api/communicationManagement/v4"


class _PublicBase:
    """Where a hub finds the resource an event names: the `base_url` setting, given once by the
    runtime (`use_public_base`). Events are written in the transaction of a domain change, which
    carries no settings; without a base the hrefs stay relative to the API's host."""

    url = ""


def use_public_base(url: str) -> None:
    _PublicBase.url = url.rstrip("/")


def href(path: str) -> str:
    return _PublicBase.url + path


def _event(event_type: str, resource: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "eventId": str(uuid.uuid4()),
        "eventTime": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "eventType": event_type,
        "event": {resource: body},
        "@type": event_type,
    }


def order_event_body(order: TmfOrder, view: views.OrderView) -> dict[str, Any]:
    return {
        "id": str(order.id),
        "href": href(f"{ORDERING}/productOrder/{order.id}"),
        "externalId": order.external_id,
        "state": view.state.value,
        "productOrderItem": [
            {
                "id": i.record["id"],
                "action": i.record["action"],
                "state": i.state.value,
                **({"stateChangeReason": i.reason} if i.reason else {}),
                **(
                    {"product": {"id": i.record["product_id"], "@referredType": "Product"}}
                    if i.record.get("product_id")
                    else {}
                ),
                **(
                    {"simexitCase": {"id": str(i.case.id), "reference": i.case.reference}}
                    if i.case is not None
                    else {}
                ),
            }
            for i in view.items
        ],
        "@type": "ProductOrder",
    }


def order_created(session: Session, order: TmfOrder, now: datetime) -> None:
    """Tell the hubs of a new order, with the state it starts in (`notified_state`)."""
    cases = repository.cases_by_id(session, views.case_ids(order))
    body = order_event_body(order, views.derive(order, cases))
    webhooks.emit(
        session,
        now=now,
        operator_id=order.operator_id,
        event_type=ORDER_CREATE,
        data=_event(ORDER_CREATE, "productOrder", body, now),
    )


def notify_order(session: Session, order: TmfOrder, now: datetime) -> None:
    """Tell the hubs of a change of the order's derived state, once: nothing if it is unchanged."""
    cases = repository.cases_by_id(session, views.case_ids(order))
    view = views.derive(order, cases)
    if view.state.value == order.notified_state:
        return
    previous, order.notified_state = order.notified_state, view.state.value
    order.updated_at = now
    audit.record(
        session,
        operator_id=order.operator_id,
        actor=SYSTEM,
        action="tmf_order.state_changed",
        subject_type="tmf_order",
        subject_id=order.id,
        at=now,
        changes={"state": [previous, view.state.value]},
    )
    webhooks.emit(
        session,
        now=now,
        operator_id=order.operator_id,
        event_type=ORDER_STATE_CHANGE,
        data=_event(ORDER_STATE_CHANGE, "productOrder", order_event_body(order, view), now),
    )


def product_event(line_id: str, status: LineStatus, now: datetime) -> dict[str, Any]:
    body = {
        "id": line_id,
        "href": href(f"{INVENTORY}/product/{line_id}"),
        "status": PRODUCT_STATUS_OF_LINE[status].value,
        "@type": "Product",
    }
    return _event(PRODUCT_STATUS_CHANGE, "product", body, now)


def _on_case_changed(session: Session, case: Case, _previous: CaseStatus, now: datetime) -> None:
    for order in repository.orders_of_case(session, case.id):
        notify_order(session, order, now)
    if case.status is CaseStatus.completed:
        line = session.get(Line, case.line_id)
        if line is not None:
            webhooks.emit(
                session,
                now=now,
                operator_id=case.operator_id,
                event_type=PRODUCT_STATUS_CHANGE,
                data=product_event(str(line.id), line.status, now),
            )


def _from_line_event(data: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]] | None:
    line_id, status = data.get("id") or data.get("line_id"), data.get("status")
    if not isinstance(line_id, str) or status not in set(LineStatus):
        return None
    return PRODUCT_STATUS_CHANGE, product_event(line_id, LineStatus(status), now)


def message_event_body(message: TmfMessage, state: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(message.id),
        "href": href(f"{COMMUNICATION}/communicationMessage/{message.id}"),
        "messageType": message.message_type,
        "state": state,
        "@type": "CommunicationMessage",
    }
    if message.state_reason:
        body["stateChangeReason"] = message.state_reason
    return body


def message_created(session: Session, message: TmfMessage, now: datetime) -> None:
    webhooks.emit(
        session,
        now=now,
        operator_id=message.operator_id,
        event_type=MESSAGE_CREATE,
        data=_event(
            MESSAGE_CREATE, "communicationMessage", message_event_body(message, message.state), now
        ),
    )


def _on_notification_settled(session: Session, notification: Notification, now: datetime) -> None:
    """A posted message's state follows its notifications: record each change and tell the hubs
    once. The message row is locked first, so two notifications of one message settling in two
    workers are counted one after the other and the last one sees both."""
    if notification.kind != MESSAGE_KIND:
        return
    try:
        message_id = uuid.UUID(notification.subject_id.split(":", 1)[0])
    except ValueError:
        return
    message = repository.lock_message(session, message_id)
    if message is None:
        return  # the resource was deleted; what was sent stays in the notification log
    statuses = repository.notification_statuses(session, message.notification_ids)
    state = message_state(
        message.state, [statuses.get(i, "queued") for i in message.notification_ids]
    )
    if state == message.state:
        return
    previous, message.state = message.state, state
    audit.record(
        session,
        operator_id=message.operator_id,
        actor=SYSTEM,
        action="tmf_message.state_changed",
        subject_type="tmf_message",
        subject_id=message.id,
        at=now,
        changes={"state": [previous, state]},
    )
    webhooks.emit(
        session,
        now=now,
        operator_id=message.operator_id,
        event_type=MESSAGE_STATE_CHANGE,
        data=_event(
            MESSAGE_STATE_CHANGE, "communicationMessage", message_event_body(message, state), now
        ),
    )


listeners.listen(_on_case_changed)
notification_listeners.listen(_on_notification_settled)
for _explicit in (*ORDERING_EVENTS, *COMMUNICATION_EVENTS):
    webhooks.explicit_only(_explicit)
webhooks.also_as(
    ("line.suspended", "line.resumed", "line.terminated"), PRODUCT_STATUS_CHANGE, _from_line_event
)
