"""TM Forum notifications through simexit's durable, signed webhook deliveries.

A hub (`POST .../hub`) is a webhook endpoint that names the TM Forum event types it wants; those
types go only to endpoints that name them. `ProductOrderStateChangeEvent` is sent once per change
of an order's derived state (`tmf_orders.notified_state` remembers the last one sent), from the
transaction of the case change that caused it, whichever edge made it (API, worker, CLI).
`ProductStatusChangeEvent` accompanies simexit's own `line.suspended`, `line.resumed` and
`line.terminated` events, and a completed case of a line.

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
from simexit.models import Case, Line, TmfOrder
from simexit.notifications import webhooks
from simexit.principals import SYSTEM
from simexit.tmf import repository, views
from simexit.tmf.rules import PRODUCT_STATUS_OF_LINE

ORDER_STATE_CHANGE: Final = "ProductOrderStateChangeEvent"
PRODUCT_STATUS_CHANGE: Final = "ProductStatusChangeEvent"
ORDERING: Final = "/tmf-api/productOrderingManagement/v4"
INVENTORY: Final = "/tmf-api/productInventory/v4"


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
        "href": f"{ORDERING}/productOrder/{order.id}",
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
        "href": f"{INVENTORY}/product/{line_id}",
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


listeners.listen(_on_case_changed)
webhooks.explicit_only(ORDER_STATE_CHANGE)
webhooks.also_as(
    ("line.suspended", "line.resumed", "line.terminated"), PRODUCT_STATUS_CHANGE, _from_line_event
)
