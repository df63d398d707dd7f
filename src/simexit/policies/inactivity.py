"""What a pack says happens to an unused prepaid line, as dates. Pure: no I/O.

`prepaid.inactivity` lists rules like "after 120 days without paid use, a daily fee" or "after
180 days at a zero balance, the contract ends". Bulk sweeps (issue 21's campaigns) take the due
steps from here; the guides show the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from simexit.policies.model import EvidenceStatus
from simexit.policies.schema import PackDocument


@dataclass(frozen=True, slots=True)
class InactivityStep:
    """One rule, dated from the day the trigger's clock started (last top-up, last paid use or
    the day the balance reached zero)."""

    trigger: str  # no_topup | no_chargeable_event | zero_balance
    due_on: date
    action: str  # suspend_outgoing | daily_fee | terminate
    fee: Decimal | None
    status: EvidenceStatus
    sources: tuple[str, ...]


def inactivity_schedule(
    document: PackDocument,
    *,
    last_topup: date | None,
    last_paid_use: date | None,
    zero_balance_since: date | None,
) -> list[InactivityStep]:
    """Each inactivity rule whose clock has started, with the day it applies, soonest first."""
    started = {
        "no_topup": last_topup,
        "no_chargeable_event": last_paid_use,
        "zero_balance": zero_balance_since,
    }
    steps = []
    for evidenced in document.prepaid.inactivity:
        rule = evidenced.value
        since = started[rule.trigger]
        if since is None:
            continue
        steps.append(
            InactivityStep(
                trigger=rule.trigger,
                due_on=since + timedelta(days=rule.after_days),
                action=rule.action,
                fee=rule.fee,
                status=evidenced.status,
                sources=evidenced.src,
            )
        )
    return sorted(steps, key=lambda step: step.due_on)


def due_steps(steps: list[InactivityStep], today: date) -> list[InactivityStep]:
    """The steps a sweep run on `today` acts on."""
    return [step for step in steps if step.due_on <= today]
