"""TM Forum vocabulary mapped onto simexit's: order and item states from case states, product
status from line status, what an order item asks for. Pure: stdlib and the domains' enums.

An order is a thin record over the cases it opened; its state is *derived* from them each time it
is read, so it can never drift from what the case says (acknowledged → inProgress → completed;
held while blocked, pending while in review, rejected, failed, cancelled once withdrawn)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from simexit.cases.states import CaseStatus
from simexit.lines.states import LineStatus
from simexit.policies.model import RequestType


class OrderState(StrEnum):
    """TMF622 v4 `ProductOrderStateType` (values are the spec's, camelCase included)."""

    acknowledged = "acknowledged"
    rejected = "rejected"
    pending = "pending"
    held = "held"
    in_progress = "inProgress"
    cancelled = "cancelled"
    completed = "completed"
    failed = "failed"
    partial = "partial"
    assessing_cancellation = "assessingCancellation"
    pending_cancellation = "pendingCancellation"


class ProductStatus(StrEnum):
    """TMF637 v4 `ProductStatusType` (the spec's `"aborted "` with its trailing space is not used)."""

    created = "created"
    pending_active = "pendingActive"
    cancelled = "cancelled"
    active = "active"
    pending_terminate = "pendingTerminate"
    suspended = "suspended"
    terminated = "terminated"


class CancellationState(StrEnum):
    """TMF622 v4 `TaskStateType`, the state of a `cancelProductOrder` request."""

    acknowledged = "acknowledged"
    rejected = "rejected"
    in_progress = "inProgress"
    done = "done"
    terminated_with_error = "terminatedWithError"


S = CaseStatus
ITEM_STATE_OF_CASE: Final[dict[CaseStatus, OrderState]] = {
    S.draft: OrderState.acknowledged,
    S.awaiting_verification: OrderState.acknowledged,
    S.submitted: OrderState.acknowledged,
    S.blocked: OrderState.held,
    S.in_review: OrderState.pending,
    S.information_required: OrderState.pending,
    S.approved: OrderState.in_progress,
    S.executing: OrderState.in_progress,
    S.completed: OrderState.completed,
    S.failed: OrderState.failed,
    S.superseded: OrderState.failed,
    S.rejected: OrderState.rejected,
    S.withdrawn: OrderState.cancelled,
    S.expired: OrderState.cancelled,
}

PRODUCT_STATUS_OF_LINE: Final[dict[LineStatus, ProductStatus]] = {
    LineStatus.active: ProductStatus.active,
    LineStatus.suspended: ProductStatus.suspended,
    LineStatus.pending_termination: ProductStatus.pending_terminate,
    LineStatus.terminated: ProductStatus.terminated,
    LineStatus.number_released: ProductStatus.terminated,
}


def line_statuses_for(status: ProductStatus) -> tuple[LineStatus, ...]:
    """The line statuses a `?status=` filter on products matches."""
    return tuple(line for line, product in PRODUCT_STATUS_OF_LINE.items() if product is status)


# Blockers an order cannot wait out: the order is rejected (and its case withdrawn) instead of
# held. A pending port ends the line by itself; a line in the wrong status stays so.
REJECTING_BLOCKERS: Final = frozenset({"port_pending", "line_status_not_allowed"})

TERMINAL_ITEM_STATES: Final = frozenset(
    {OrderState.completed, OrderState.failed, OrderState.rejected, OrderState.cancelled}
)


def item_state(case_status: CaseStatus) -> OrderState:
    return ITEM_STATE_OF_CASE[case_status]


def order_state(items: Sequence[OrderState]) -> OrderState:
    """One state for the order from its items' states (TMF622 §"Product order state")."""
    states = set(items)
    if not states:
        return OrderState.rejected
    if len(states) == 1:
        return next(iter(states))
    for waiting in (OrderState.held, OrderState.pending, OrderState.in_progress):
        if waiting in states:
            return waiting
    if states <= TERMINAL_ITEM_STATES:
        if OrderState.completed in states:
            return OrderState.partial
        if OrderState.failed in states:
            return OrderState.failed
        return OrderState.rejected if OrderState.rejected in states else OrderState.cancelled
    return OrderState.in_progress


class ItemAction(StrEnum):
    add = "add"
    modify = "modify"
    delete = "delete"
    no_change = "noChange"


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """What simexit makes of an order item: a request type, or the reason it will not."""

    request: RequestType | None
    reason: str | None = None


def plan_item(action: str, product_id: str | None, product_status: str | None) -> ItemPlan:
    """`delete` ends the product; `modify` to `suspended`/`active` suspends or resumes it; an
    `add` (a new product) or anything else is not something simexit carries out."""
    if action == ItemAction.no_change:
        return ItemPlan(None, None)
    if action == ItemAction.add:
        return ItemPlan(None, "simexit ends, suspends and resumes products; it does not add them")
    if action not in {ItemAction.delete, ItemAction.modify}:
        return ItemPlan(None, f"unknown action {action!r}")
    if not product_id:
        return ItemPlan(None, f"a {action} item needs product.id (a line of yours)")
    if action == ItemAction.delete:
        return ItemPlan(RequestType.terminate)
    if product_status == ProductStatus.suspended:
        return ItemPlan(RequestType.suspend)
    if product_status == ProductStatus.active:
        return ItemPlan(RequestType.resume)
    return ItemPlan(
        None, "a modify item is carried out only with product.status suspended or active"
    )


def visible_item_state(recorded: str | None, case_status: CaseStatus | None) -> OrderState:
    """An item's state: what intake recorded when it decided alone (rejected, noChange), else
    its case's."""
    if recorded is not None or case_status is None:
        return OrderState(recorded or OrderState.rejected)
    return item_state(case_status)


def visible_order_state(
    recorded: str, item_states: Sequence[OrderState], has_cases: bool
) -> OrderState:
    """The order's state: intake's (acknowledged or rejected) until a case decides it."""
    if not has_cases:
        return OrderState(recorded)
    return order_state(item_states)


# Notification statuses that are settled: it reached the transport (or the handset), or never will.
# The notification kind a posted TMF681 message is sent as (one notification per receiver).
MESSAGE_KIND: Final = "operator.message"
SENT_STATUSES: Final = frozenset({"sent", "delivered"})
LOST_STATUSES: Final = frozenset({"dead", "undeliverable"})


def message_state(recorded: str, notification_statuses: Sequence[str]) -> str:
    """A TMF681 message's state from its notifications: `completed` once every one is sent,
    `failed` once any is lost and the rest settled, `inProgress` meanwhile."""
    if not notification_statuses:
        return recorded
    if all(s in SENT_STATUSES for s in notification_statuses):
        return "completed"
    if all(s in SENT_STATUSES | LOST_STATUSES for s in notification_statuses):
        return "failed"
    return "inProgress"
