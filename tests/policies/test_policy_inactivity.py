"""Inactivity rules as dates: T2's daily fee after 120 days and termination 180 days after the
balance reached zero; Beeline's restore period of a suspended SIM as what it is."""

from __future__ import annotations

from datetime import date

from simexit.policies.inactivity import due_steps, inactivity_schedule
from simexit.policies.loader import PackRegistry


def test_t2_schedule(registry: PackRegistry) -> None:
    document = registry.get("ru/t2").document
    steps = inactivity_schedule(
        document,
        last_topup=None,
        last_paid_use=date(2026, 1, 1),
        zero_balance_since=date(2026, 3, 1),
    )
    assert [(s.action, s.due_on) for s in steps] == [
        ("daily_fee", date(2026, 5, 1)),
        ("terminate", date(2026, 8, 28)),
    ]
    assert all(s.status.value == "U" for s in steps)
    assert [s.action for s in due_steps(steps, date(2026, 6, 1))] == ["daily_fee"]


def test_a_clock_not_started_gives_no_step(registry: PackRegistry) -> None:
    document = registry.get("ru/beeline").document
    steps = inactivity_schedule(
        document, last_topup=None, last_paid_use=None, zero_balance_since=date(2026, 1, 1)
    )
    assert [(s.trigger, s.action, s.due_on) for s in steps] == [
        ("zero_balance", "terminate", date(2026, 9, 28))
    ]
