"""An order's state as its cases give it, item by item, with the reason where one is owed
(held, pending, rejected, failed). Read-only; used by the API's views and by the hub events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from simexit.cases.states import CaseStatus
from simexit.models import Case, TmfOrder
from simexit.tmf.rules import OrderState, visible_item_state, visible_order_state


@dataclass(frozen=True, slots=True)
class ItemView:
    record: dict[str, Any]
    case: Case | None
    state: OrderState
    reason: str | None


@dataclass(frozen=True, slots=True)
class OrderView:
    state: OrderState
    items: tuple[ItemView, ...]
    has_cases: bool


def case_ids(order: TmfOrder) -> list[uuid.UUID]:
    return [uuid.UUID(i["case_id"]) for i in order.items if i.get("case_id")]


def derive(order: TmfOrder, cases: dict[uuid.UUID, Case]) -> OrderView:
    items = []
    for record in order.items:
        case = cases.get(uuid.UUID(record["case_id"])) if record.get("case_id") else None
        state = visible_item_state(record.get("state"), case.status if case else None)
        reason = record.get("reason") or (case_reason(case) if case else None)
        items.append(ItemView(record, case, state, reason))
    has_cases = any(r.get("case_id") for r in order.items)
    state = visible_order_state(order.state, [i.state for i in items], has_cases)
    return OrderView(state, tuple(items), has_cases)


def case_reason(case: Case) -> str | None:
    if case.status is CaseStatus.blocked:
        return "blocked: " + ", ".join(_finding(f.code, f.params) for f in case.blockers)
    if case.status is CaseStatus.in_review:
        return "in review: " + ", ".join(_finding(f.code, f.params) for f in case.review_reasons)
    if case.status is CaseStatus.information_required:
        return "in review: information requested from the customer"
    if case.status is CaseStatus.rejected:
        return f"rejected: {case.rejection_reason or 'by the operator'}"
    if case.status is CaseStatus.failed:
        return f"failed: {case.failure_reason or 'the teardown failed'}"
    if case.status in {CaseStatus.withdrawn, CaseStatus.expired}:
        return case.status.value
    return None


def _finding(code: str, params: dict[str, Any]) -> str:
    if not params:
        return code
    return code + " (" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
