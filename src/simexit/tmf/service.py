"""TMF622 use cases: place an order (opening and submitting cases through the case services, as
`/v1` does), and cancel one (withdrawing its cases). Session first, no commit, an audit row for
every change of an order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simexit.access import scopes
from simexit.audit import service as audit
from simexit.cases import repository as case_repository
from simexit.cases import service as case_service
from simexit.cases.context import CaseContext
from simexit.cases.service.common import today_for
from simexit.cases.states import CaseStatus, Trigger, available_triggers
from simexit.models import Case, TmfOrder, TmfOrderCancellation, TmfOrderCase, WebhookEndpoint
from simexit.policies.model import Channel
from simexit.principals import Actor, ActorType
from simexit.tmf import events, repository, views
from simexit.tmf.errors import (
    HubNotFound,
    OrderNotFound,
    OrderReferenceUnknown,
    SubscriberNotAllowed,
)
from simexit.tmf.rules import (
    REJECTING_BLOCKERS,
    CancellationState,
    OrderState,
    plan_item,
)
from simexit.verification.methods import ATTESTED_METHODS, Method, methods_from_pack
from simexit.webhooks import service as webhook_service
from simexit.webhooks.errors import EndpointNotFound


def require_api_caller(actor: Actor) -> None:
    """The TM Forum APIs are for operators' and resellers' systems and staff, not subscribers."""
    if actor.type is ActorType.subscriber or actor.operator_id is None:
        raise SubscriberNotAllowed(
            "the TM Forum APIs need an operator's or reseller's API key", field="authorization"
        )


@dataclass(frozen=True, slots=True)
class OrderItemIn:
    id: str
    action: str
    product_id: str | None
    product_status: str | None


def place_order(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    items: list[OrderItemIn],
    document: dict[str, Any],
    external_id: str | None,
    requested_completion_date: datetime | None,
    now: datetime,
) -> TmfOrder:
    """Record the order; open and submit a case for each item simexit carries out.

    An item simexit does not carry out (an `add`, a product that is not a line of the caller's)
    is recorded with its reason; an order with no such item is `rejected`, as TMF622 allows
    (201 with state rejected). A case blocked by something the order cannot wait out (a pending
    port) is withdrawn at once and its item rejected with the blocker."""
    require_api_caller(actor)
    assert actor.operator_id is not None  # noqa: S101 - require_api_caller checked it
    order_id = uuid.uuid4()
    # Milliseconds, as the order date is shown: a client filtering on it finds the order.
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    recorded: list[dict[str, Any]] = []
    for item in items:
        recorded.append(
            _carry_out(
                session,
                ctx,
                actor=actor,
                order_id=order_id,
                item=item,
                requested_completion_date=requested_completion_date,
                now=now,
            )
        )
    carried = [r for r in recorded if r.get("case_id")]
    reasons = [f"item {r['id']}: {r['reason']}" for r in recorded if r.get("reason")]
    state = OrderState.acknowledged if carried else OrderState.rejected
    if not recorded:
        reasons = ["the order has no productOrderItem"]
    order = TmfOrder(
        id=order_id,
        operator_id=actor.operator_id,
        reseller_id=actor.reseller_id,
        external_id=external_id,
        state=state.value,
        state_reason="; ".join(reasons) or None,
        order_date=now,
        requested_completion_date=requested_completion_date,
        document=document,
        items=recorded,
        created_by=actor.label,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    for case_id in {r["case_id"] for r in recorded if r.get("case_id")}:
        session.add(TmfOrderCase(order_id=order.id, case_id=uuid.UUID(case_id)))
    cases = repository.cases_by_id(session, views.case_ids(order))
    # The state the order starts in; hubs hear of each change from here (`tmf.events`).
    order.notified_state = views.derive(order, cases).state.value
    session.flush()
    audit.record(
        session,
        operator_id=order.operator_id,
        actor=actor,
        action="tmf_order.created",
        subject_type="tmf_order",
        subject_id=order.id,
        at=now,
        changes={
            "state": [None, order.state],
            "items": [
                {k: r.get(k) for k in ("id", "action", "product_id", "case_id", "state")}
                for r in recorded
            ],
        },
        note=order.state_reason,
    )
    events.order_created(session, order, now)
    return order


def _carry_out(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    order_id: uuid.UUID,
    item: OrderItemIn,
    requested_completion_date: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": item.id,
        "action": item.action,
        "product_id": item.product_id,
        "case_id": None,
        "state": None,
        "reason": None,
    }
    plan = plan_item(item.action, item.product_id, item.product_status)
    if plan.request is None:
        record["state"] = (
            OrderState.completed.value if plan.reason is None else OrderState.rejected.value
        )
        record["reason"] = plan.reason
        return record
    line = None
    try:
        line_id = uuid.UUID(str(item.product_id))
    except ValueError:
        line_id = None
    if line_id is not None:
        line = repository.find_product(session, actor, line_id)
    if line is None:
        record["state"] = OrderState.rejected.value
        record["reason"] = f"no product {item.product_id} among your lines"
        return record
    opened = case_service.open_case(
        session,
        ctx,
        actor=actor,
        line_id=line.id,
        case_type=plan.request,
        channel=Channel.api,
        now=now,
        comment=f"TMF622 productOrder {order_id} item {item.id}",
        requested_date=requested_completion_date.date() if requested_completion_date else None,
    )
    case = opened.case
    record["case_id"] = str(case.id)
    if opened.created:
        _attest_and_submit(session, ctx, actor=actor, case=case, order_id=order_id, now=now)
        final = [b.code for b in case.blockers if b.code in REJECTING_BLOCKERS]
        if case.status is CaseStatus.blocked and final:
            explanation = _explain(final)
            case_service.withdraw(
                session,
                ctx,
                actor=actor,
                case_id=case.id,
                now=now,
                note=f"TMF622 productOrder {order_id} rejected: {explanation}",
            )
            record["state"] = OrderState.rejected.value
            record["reason"] = explanation
    return record


EXPLANATIONS = {
    "port_pending": "a port-out of this number is pending; the port ends the line, so a "
    "separate termination would lose the number (port_pending)",
    "line_status_not_allowed": "the line's status does not allow this request "
    "(line_status_not_allowed)",
}


def _explain(codes: list[str]) -> str:
    return "; ".join(EXPLANATIONS.get(c, c) for c in codes)


def _attest_and_submit(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    case: Case,
    order_id: uuid.UUID,
    now: datetime,
) -> None:
    """The ordering system is the operator's (or reseller's) own, and its key vouches that it
    identified the customer as the pack requires for the API channel; it is recorded as an
    attested check naming the order, then the case is submitted through the policy gates."""
    required = methods_from_pack(case.preview.identity_methods if case.preview else ())
    method = next((m for m in required if m in ATTESTED_METHODS), Method.id_document)
    case_service.attest_identity(
        session,
        ctx,
        actor=actor,
        case_id=case.id,
        method=method,
        now=now,
        note=f"identified by the ordering system, TMF622 productOrder {order_id}",
    )
    case_service.submit(session, ctx, actor=actor, case_id=case.id, now=now)


def cancel_order(
    session: Session,
    ctx: CaseContext,
    *,
    actor: Actor,
    order_id: uuid.UUID,
    reason: str | None,
    requested_cancellation_date: datetime | None,
    now: datetime,
) -> TmfOrderCancellation:
    """Withdraw every open case of the order, or none: a case already carried out (executing,
    completed, or approved with its date reached) makes the request `rejected`, with why."""
    require_api_caller(actor)
    try:
        order = repository.get_order(session, actor, order_id, for_update=True)
    except OrderNotFound:
        raise OrderReferenceUnknown(
            f"you have no productOrder {order_id}", field="productOrder.id"
        ) from None
    cases = repository.cases_by_id(session, views.case_ids(order))
    open_cases = [c for c in cases.values() if Trigger.withdraw in available_triggers(c.status)]
    refusal = _refusal(session, order, list(cases.values()), open_cases, now)
    cancellation = TmfOrderCancellation(
        id=uuid.uuid4(),
        operator_id=order.operator_id,
        order_id=order.id,
        state=(CancellationState.rejected if refusal else CancellationState.done).value,
        cancellation_reason=reason,
        state_reason=refusal,
        requested_cancellation_date=requested_cancellation_date,
        effective_cancellation_date=None if refusal else now,
        created_by=actor.label,
        created_at=now,
    )
    session.add(cancellation)
    if refusal is None:
        for case in open_cases:
            case_service.withdraw(
                session,
                ctx,
                actor=actor,
                case_id=case.id,
                now=now,
                note=f"TMF622 cancelProductOrder {cancellation.id}: {reason or 'no reason given'}",
            )
        order.cancellation_date = now
        order.cancellation_reason = reason
        order.updated_at = now
    session.flush()
    audit.record(
        session,
        operator_id=order.operator_id,
        actor=actor,
        action="tmf_order.cancellation_done"
        if refusal is None
        else "tmf_order.cancellation_rejected",
        subject_type="tmf_order",
        subject_id=order.id,
        at=now,
        changes={
            "cancellation_id": str(cancellation.id),
            "state": cancellation.state,
            "withdrawn_cases": [str(c.id) for c in open_cases] if refusal is None else [],
        },
        note=refusal or reason,
    )
    return cancellation


def _refusal(
    session: Session,
    order: TmfOrder,
    cases: list[Case],
    open_cases: list[Case],
    now: datetime,
) -> str | None:
    if not open_cases:
        return "the order has nothing left to cancel (its items are rejected, done or cancelled)"
    operator = case_repository.operator(session, order.operator_id)
    today = today_for(operator, now)
    for case in cases:
        if case.status in {CaseStatus.executing, CaseStatus.completed}:
            return f"case {case.reference} is {case.status.value}; it can no longer be withdrawn"
        if (
            case.status is CaseStatus.approved
            and case.effective_date is not None
            and case.effective_date <= today
        ):
            return (
                f"case {case.reference} takes effect on {case.effective_date.isoformat()}; "
                "it can no longer be withdrawn"
            )
    return None


# --- hubs -----------------------------------------------------------------------------------


def register_hub(
    session: Session,
    *,
    actor: Actor,
    callback: str,
    query: str | None,
    event_types: tuple[str, ...],
    api: str,
    allow_loopback_http: bool,
    now: datetime,
) -> webhook_service.WithSecret:
    """A TM Forum hub is a webhook endpoint naming the API's event types: the same durable,
    signed, retried deliveries. Operator-wide, so it needs the operator's admin key."""
    require_api_caller(actor)
    scopes.require_admin(actor)
    assert actor.operator_id is not None  # noqa: S101 - require_api_caller checked it
    return webhook_service.register_endpoint(
        session,
        actor=actor,
        operator_id=actor.operator_id,
        url=callback,
        events=event_types,
        description=f"{api} hub" + (f" (query: {query})"[:150] if query else ""),
        allow_loopback_http=allow_loopback_http,
        now=now,
    )


def hub(
    session: Session, *, actor: Actor, hub_id: uuid.UUID, event_types: tuple[str, ...]
) -> WebhookEndpoint:
    """One of the caller's hubs of this API; another endpoint, or another operator's, is 404."""
    require_api_caller(actor)
    assert actor.operator_id is not None  # noqa: S101 - require_api_caller checked it
    try:
        endpoint = webhook_service.get_endpoint(session, actor.operator_id, hub_id)
    except EndpointNotFound:
        endpoint = None
    if endpoint is None or not set(endpoint.events) & set(event_types):
        raise HubNotFound("no such hub", field="id")
    return endpoint


def unregister_hub(
    session: Session,
    *,
    actor: Actor,
    hub_id: uuid.UUID,
    event_types: tuple[str, ...],
    now: datetime,
) -> None:
    scopes.require_admin(actor)
    endpoint = hub(session, actor=actor, hub_id=hub_id, event_types=event_types)
    webhook_service.disable_endpoint(
        session, actor=actor, operator_id=endpoint.operator_id, endpoint_id=endpoint.id, now=now
    )
