"""The trial balance's rules, pure: a payout's money is where its status says, or it is named."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simexit.ledger.rules import PLACE_OF_MONEY, misplaced_payout, unbalanced_case

STATUSES = st.sampled_from(sorted(PLACE_OF_MONEY))
AMOUNTS = st.integers(min_value=1, max_value=10**9)
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(STATUSES, AMOUNTS)
def test_money_where_the_status_says_is_sound(status: str, amount: int) -> None:
    due, transit = PLACE_OF_MONEY[status]
    assert misplaced_payout("R-1", status, amount, due * amount, transit * amount, amount) == []


@SLOW
@given(STATUSES, AMOUNTS, st.integers(min_value=-(10**9), max_value=10**9).filter(bool))
def test_any_amount_off_is_named(status: str, amount: int, off: int) -> None:
    due, transit = PLACE_OF_MONEY[status]
    problems = misplaced_payout("R-1", status, amount, due * amount + off, transit * amount, amount)
    assert [p.rule for p in problems] == ["payout_money_misplaced"]
    assert problems[0].case_reference == "R-1"


def test_a_returned_refund_is_owed_again_not_lost() -> None:
    # Returned by the bank but left in transit: the money would be lost to the subscriber.
    problems = misplaced_payout("R-1", "returned", 39900, 0, -39900, 39900)
    assert [p.rule for p in problems] == ["payout_money_misplaced"]
    assert "payout_due -39900" in problems[0].detail


def test_a_payout_of_another_amount_than_the_refund_is_named() -> None:
    problems = misplaced_payout("R-1", "settled", 100, 0, 0, 39900)
    assert [p.rule for p in problems] == ["payout_differs_from_refund"]


def test_a_case_balances_only_at_zero() -> None:
    assert unbalanced_case("R-1", "NOK", 0) is None
    problem = unbalanced_case("R-1", "NOK", -1)
    assert problem is not None
    assert problem.rule == "case_unbalanced"
