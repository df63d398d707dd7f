"""From a line row to the policy engine's `LineFacts`."""

from __future__ import annotations

from datetime import date

from simexit.kit.money import Money
from simexit.lines.states import suspensions_in_year
from simexit.models import Line
from simexit.policies.model import LineFacts, LineKind, Plan


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money(minor, currency)


def line_facts(
    line: Line, *, subscriber_sim_count: int = 1, today: date | None = None
) -> LineFacts:
    """`today` (the operator's) makes a count of an earlier year read as none this year."""
    currency = line.currency
    return LineFacts(
        kind=LineKind(line.kind),
        plan=Plan(line.plan),
        currency=currency,
        activated_on=line.activated_on,
        status=line.status,
        region=line.region,
        commitment_start=line.commitment_start,
        commitment_end=line.commitment_end,
        commitment_kind=line.commitment_kind,
        monthly_fee=_money(line.monthly_fee_minor, currency),
        billing_cycle_day=line.billing_cycle_day,
        plan_expiry=line.plan_expiry,
        last_topup_on=line.last_topup_on,
        last_chargeable_activity_on=line.last_chargeable_activity_on,
        balance=Money(line.balance_minor, currency),
        bonus_balance=Money(line.bonus_balance_minor, currency),
        unpaid_bills=Money(line.unpaid_bills_minor, currency),
        device_instalment_balance=Money(line.device_instalment_minor, currency),
        linked_services=tuple(line.linked_services or ()),
        port_pending=line.port_pending,
        suspended_since=line.suspended_since,
        suspensions_this_year=suspensions_in_year(
            line.suspensions_this_year,
            counted_year=line.suspensions_counted_year,
            year=today.year if today is not None else None,
        ),
        suspensions_total=max(line.suspensions_total, line.suspensions_this_year),
        terminated_on=line.terminated_on,
        subscriber_sim_count=subscriber_sim_count,
        signed_up_channel=line.signed_up_channel,
        purchase_channel=line.purchase_channel,
        sim_returned=line.sim_returned_at is not None,
        commitment_benefit=_money(line.commitment_benefit_minor, currency),
    )
