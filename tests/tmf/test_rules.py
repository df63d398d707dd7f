"""The TM Forum vocabulary over simexit's: pure, table-driven."""

from __future__ import annotations

import pytest

from simexit.cases.states import CaseStatus
from simexit.lines.states import LineStatus
from simexit.policies.model import RequestType
from simexit.tmf.rules import (
    ITEM_STATE_OF_CASE,
    PRODUCT_STATUS_OF_LINE,
    OrderState,
    ProductStatus,
    line_statuses_for,
    order_state,
    plan_item,
    visible_item_state,
    visible_order_state,
)

OS = OrderState


def test_every_case_status_has_an_item_state() -> None:
    assert set(ITEM_STATE_OF_CASE) == set(CaseStatus)


def test_every_line_status_has_a_product_status() -> None:
    assert set(PRODUCT_STATUS_OF_LINE) == set(LineStatus)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CaseStatus.submitted, OS.acknowledged),
        (CaseStatus.blocked, OS.held),
        (CaseStatus.in_review, OS.pending),
        (CaseStatus.approved, OS.in_progress),
        (CaseStatus.executing, OS.in_progress),
        (CaseStatus.completed, OS.completed),
        (CaseStatus.rejected, OS.rejected),
        (CaseStatus.failed, OS.failed),
        (CaseStatus.withdrawn, OS.cancelled),
    ],
)
def test_item_state_follows_the_case(status: CaseStatus, expected: OrderState) -> None:
    assert visible_item_state(None, status) is expected


def test_a_state_recorded_at_intake_wins_over_the_case() -> None:
    # A case withdrawn because of a pending port: the item stays rejected, not cancelled.
    assert visible_item_state("rejected", CaseStatus.withdrawn) is OS.rejected


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([OS.completed, OS.completed], OS.completed),
        ([OS.held, OS.in_progress], OS.held),
        ([OS.pending, OS.completed], OS.pending),
        ([OS.completed, OS.rejected], OS.partial),
        ([OS.failed, OS.rejected], OS.failed),
        ([OS.cancelled, OS.rejected], OS.rejected),
        ([OS.cancelled, OS.cancelled], OS.cancelled),
        ([OS.acknowledged, OS.completed], OS.in_progress),
        ([], OS.rejected),
    ],
)
def test_order_state_from_items(items: list[OrderState], expected: OrderState) -> None:
    assert order_state(items) is expected


def test_an_order_without_cases_keeps_its_intake_state() -> None:
    assert visible_order_state("rejected", [OS.rejected], has_cases=False) is OS.rejected
    assert visible_order_state("acknowledged", [OS.held], has_cases=True) is OS.held


@pytest.mark.parametrize(
    ("action", "product", "status", "wanted"),
    [
        ("delete", "L1", None, RequestType.terminate),
        ("modify", "L1", "suspended", RequestType.suspend),
        ("modify", "L1", "active", RequestType.resume),
        ("modify", "L1", "terminated", None),
        ("add", None, None, None),
        ("delete", None, None, None),
        ("bogus", "L1", None, None),
    ],
)
def test_plan_item(
    action: str, product: str | None, status: str | None, wanted: RequestType | None
) -> None:
    plan = plan_item(action, product, status)
    assert plan.request is wanted
    assert (plan.reason is None) is (wanted is not None)


def test_no_change_is_not_a_refusal() -> None:
    plan = plan_item("noChange", "L1", None)
    assert plan.request is None
    assert plan.reason is None


def test_status_filter_maps_back_to_line_statuses() -> None:
    assert set(line_statuses_for(ProductStatus.terminated)) == {
        LineStatus.terminated,
        LineStatus.number_released,
    }
    assert line_statuses_for(ProductStatus.created) == ()
