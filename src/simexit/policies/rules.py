"""One pack variant, compiled for the engine: plain attributes, `Money`, and ready-made evidence.

The loader validates a merged `PackDocument` once per (plan, kind, region) variant and compiles
it here, so `engine.evaluate` does no parsing, no dictionary walking and no evidence building.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from simexit.kit.money import Money, MoneyError
from simexit.policies.model import (
    Channel,
    Evidence,
    EvidenceStatus,
    LineKind,
    Plan,
    RequestType,
)
from simexit.policies.schema import (
    BalancePolicy,
    DeviceBalanceDue,
    EarlyExitType,
    EffectiveRule,
    Ev,
    GateRule,
    PackDocument,
    UnpaidBillsPolicy,
)


class CompileError(ValueError):
    """A value that validated but cannot be used, e.g. 12.345 NOK; `path` names the key."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def evidence_of(path: str, ev: Ev[Any]) -> Evidence:
    return Evidence(path=path, status=ev.status, sources=ev.src)


def _money(path: str, amount: Decimal | None, currency: str) -> Money | None:
    if amount is None:
        return None
    try:
        return Money.parse(amount, currency)
    except MoneyError as exc:
        raise CompileError(path, str(exc)) from None


def _money0(path: str, amount: Decimal, currency: str) -> Money:
    money = _money(path, amount, currency)
    assert money is not None  # noqa: S101 - amount is not None here
    return money


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    channel: Channel
    identity: tuple[str, ...]
    request_types: frozenset[RequestType]
    plans: frozenset[Plan]
    kinds: frozenset[LineKind]


@dataclass(frozen=True, slots=True)
class EarlyExit:
    applies_to: str
    type: EarlyExitType
    amount: Money | None
    decrement_per_month: Money | None
    admin_fee: Money | None
    free_window_days: int | None
    evidence: Evidence
    capped_at_remaining_fees: bool = False


@dataclass(frozen=True, slots=True)
class RegulatoryGate:
    id: str
    rule: GateRule
    applies_to: frozenset[RequestType]
    params: dict[str, int | str]
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class CompiledRules:
    pack_id: str
    reviewed: date | None
    currency: str
    zero: Money

    review_manual: bool
    review_mode_ev: Evidence
    sla_business_days: int
    sla_calendar: str
    sla_ev: Evidence

    channels: tuple[ChannelAccess, ...]
    # (request type, plan, kind) -> channel -> identity methods; first matching rule wins
    channel_index: dict[tuple[RequestType, Plan, LineKind], dict[Channel, tuple[str, ...]]]
    channels_ev: Evidence
    identity_default: tuple[str, ...]
    identity_ev: Evidence

    effective_rule: EffectiveRule
    effective_rule_ev: Evidence
    notice_n_days: int | None
    notice_n_days_ev: Evidence
    cancellation_fee: Money
    cancellation_fee_ev: Evidence
    early_exit: tuple[EarlyExit, ...]
    cooling_off_days: int | None
    cooling_off_ev: Evidence
    device_due: DeviceBalanceDue
    device_due_ev: Evidence
    unpaid_policy: UnpaidBillsPolicy
    unpaid_policy_ev: Evidence

    balance_policy: BalancePolicy
    balance_min_payout: Money | None
    balance_excludes_bonus: bool
    balance_methods: tuple[str, ...]
    balance_ev: Evidence
    refund_on_switch: bool
    refund_on_switch_ev: Evidence
    min_topup_days: int | None
    min_topup_ev: Evidence

    port_billing_until_cycle_end: bool
    port_billing_ev: Evidence
    port_min_lead_days: int | None
    port_min_lead_ev: Evidence
    port_max_lead_days: int | None
    port_max_lead_ev: Evidence
    port_blocks_on_debt: bool
    port_blocks_on_debt_ev: Evidence

    quarantine_days: int | None
    quarantine_ev: Evidence
    confirmation_channels: tuple[str, ...]
    confirmation_channels_ev: Evidence

    sim_return_required: bool
    sim_return_ev: Evidence
    sim_return_days: int | None
    sim_return_days_ev: Evidence
    sim_non_return_fee: Money
    sim_non_return_fee_ev: Evidence

    suspension_allowed: bool
    suspension_allowed_ev: Evidence
    suspension_max_days: int | None
    suspension_max_days_ev: Evidence
    suspension_times_per_year: int | None
    suspension_times_ev: Evidence
    suspension_counted_per: str
    suspension_counted_per_ev: Evidence
    suspension_fee: Money
    suspension_fee_ev: Evidence
    suspension_during_commitment: bool
    suspension_during_commitment_ev: Evidence

    reactivation_window_days: int | None
    reactivation_window_ev: Evidence
    reactivation_fee: Money
    reactivation_fee_ev: Evidence

    gates: tuple[RegulatoryGate, ...]


def compile_rules(doc: PackDocument) -> CompiledRules:
    cur = doc.locale.currency
    c = doc.cancellation
    n = c.notice
    p = doc.prepaid
    balance = p.balance_on_cancel.value
    s = doc.suspension
    r = doc.reactivation
    early_exit = tuple(
        EarlyExit(
            applies_to=ev.value.applies_to,
            type=ev.value.type,
            amount=_money(f"cancellation.commitment.early_exit.{i}.amount", ev.value.amount, cur),
            decrement_per_month=_money(
                f"cancellation.commitment.early_exit.{i}.decrement_per_month",
                ev.value.decrement_per_month,
                cur,
            ),
            admin_fee=_money(
                f"cancellation.commitment.early_exit.{i}.admin_fee", ev.value.admin_fee, cur
            ),
            free_window_days=ev.value.free_window_days,
            evidence=evidence_of(f"cancellation.commitment.early_exit.{i}", ev),
            capped_at_remaining_fees=ev.value.cap == "remaining_fees",
        )
        for i, ev in enumerate(c.commitment.early_exit)
    )
    channels = tuple(
        ChannelAccess(
            channel=rule.channel,
            identity=rule.identity,
            request_types=frozenset(rule.request_types),
            plans=frozenset(rule.plans),
            kinds=frozenset(rule.kinds),
        )
        for rule in c.channels.value
    )
    channel_index: dict[tuple[RequestType, Plan, LineKind], dict[Channel, tuple[str, ...]]] = {}
    for request_type in RequestType:
        for plan in Plan:
            for kind in LineKind:
                allowed: dict[Channel, tuple[str, ...]] = {}
                for access in channels:
                    if (
                        request_type in access.request_types
                        and plan in access.plans
                        and kind in access.kinds
                    ):
                        allowed.setdefault(access.channel, access.identity)
                channel_index[(request_type, plan, kind)] = allowed
    gates = tuple(
        RegulatoryGate(
            id=gate_id,
            rule=ev.value.rule,
            applies_to=frozenset(ev.value.applies_to),
            params=dict(ev.value.params),
            evidence=evidence_of(f"regulatory_gates.{gate_id}", ev),
        )
        for gate_id, ev in sorted(doc.regulatory_gates.items())
    )
    return CompiledRules(
        pack_id=doc.pack.id,
        reviewed=doc.pack.reviewed,
        currency=cur,
        zero=Money.zero(cur),
        review_manual=doc.review.mode.value == "manual",
        review_mode_ev=evidence_of("review.mode", doc.review.mode),
        sla_business_days=doc.review.sla_business_days.value,
        sla_calendar=doc.review.calendar.value.removeprefix("holidays:"),
        sla_ev=evidence_of("review.sla_business_days", doc.review.sla_business_days),
        channels=channels,
        channel_index=channel_index,
        channels_ev=evidence_of("cancellation.channels", c.channels),
        identity_default=doc.identity.at_termination.value,
        identity_ev=evidence_of("identity.at_termination", doc.identity.at_termination),
        effective_rule=n.effective_rule.value,
        effective_rule_ev=evidence_of("cancellation.notice.effective_rule", n.effective_rule),
        notice_n_days=n.n_days.value,
        notice_n_days_ev=evidence_of("cancellation.notice.n_days", n.n_days),
        cancellation_fee=_money0("cancellation.cancellation_fee", c.cancellation_fee.value, cur),
        cancellation_fee_ev=evidence_of("cancellation.cancellation_fee", c.cancellation_fee),
        early_exit=early_exit,
        cooling_off_days=c.cooling_off_days.value,
        cooling_off_ev=evidence_of("cancellation.cooling_off_days", c.cooling_off_days),
        device_due=c.device_balance_due_on_cancel.value,
        device_due_ev=evidence_of(
            "cancellation.device_balance_due_on_cancel", c.device_balance_due_on_cancel
        ),
        unpaid_policy=c.unpaid_bills.value,
        unpaid_policy_ev=evidence_of("cancellation.unpaid_bills", c.unpaid_bills),
        balance_policy=balance.policy,
        balance_min_payout=_money("prepaid.balance_on_cancel.min_payout", balance.min_payout, cur),
        balance_excludes_bonus=bool({"bonus", "promo"} & set(balance.excluded)),
        balance_methods=balance.methods,
        balance_ev=evidence_of("prepaid.balance_on_cancel", p.balance_on_cancel),
        refund_on_switch=p.refund_on_switch.value,
        refund_on_switch_ev=evidence_of("prepaid.refund_on_switch", p.refund_on_switch),
        min_topup_days=p.min_days_since_last_topup.value,
        min_topup_ev=evidence_of("prepaid.min_days_since_last_topup", p.min_days_since_last_topup),
        port_billing_until_cycle_end=doc.porting.donor_billing_until.value
        == "end_of_billing_cycle",
        port_billing_ev=evidence_of("porting.donor_billing_until", doc.porting.donor_billing_until),
        port_min_lead_days=doc.porting.min_lead_days.value,
        port_min_lead_ev=evidence_of("porting.min_lead_days", doc.porting.min_lead_days),
        port_max_lead_days=doc.porting.max_lead_days.value,
        port_max_lead_ev=evidence_of("porting.max_lead_days", doc.porting.max_lead_days),
        port_blocks_on_debt=doc.porting.blocks_on_debt.value,
        port_blocks_on_debt_ev=evidence_of("porting.blocks_on_debt", doc.porting.blocks_on_debt),
        quarantine_days=doc.numbering.quarantine_days.value,
        quarantine_ev=evidence_of("numbering.quarantine_days", doc.numbering.quarantine_days),
        confirmation_channels=doc.review.confirmation_channels.value,
        confirmation_channels_ev=evidence_of(
            "review.confirmation_channels", doc.review.confirmation_channels
        ),
        sim_return_required=doc.sim.physical_return_required.value,
        sim_return_ev=evidence_of("sim.physical_return_required", doc.sim.physical_return_required),
        sim_return_days=doc.sim.return_within_days.value,
        sim_return_days_ev=evidence_of("sim.return_within_days", doc.sim.return_within_days),
        sim_non_return_fee=_money0("sim.non_return_fee", doc.sim.non_return_fee.value, cur),
        sim_non_return_fee_ev=evidence_of("sim.non_return_fee", doc.sim.non_return_fee),
        suspension_allowed=s.allowed.value,
        suspension_allowed_ev=evidence_of("suspension.allowed", s.allowed),
        suspension_max_days=s.max_days.value,
        suspension_max_days_ev=evidence_of("suspension.max_days", s.max_days),
        suspension_times_per_year=s.times_per_year.value,
        suspension_times_ev=evidence_of("suspension.times_per_year", s.times_per_year),
        suspension_counted_per=s.counted_per.value,
        suspension_counted_per_ev=evidence_of("suspension.counted_per", s.counted_per),
        suspension_fee=_money0("suspension.fee", s.fee.value, cur),
        suspension_fee_ev=evidence_of("suspension.fee", s.fee),
        suspension_during_commitment=s.during_commitment.value,
        suspension_during_commitment_ev=evidence_of(
            "suspension.during_commitment", s.during_commitment
        ),
        reactivation_window_days=r.window_days.value,
        reactivation_window_ev=evidence_of("reactivation.window_days", r.window_days),
        reactivation_fee=_money0("reactivation.fee", r.fee.value, cur),
        reactivation_fee_ev=evidence_of("reactivation.fee", r.fee),
        gates=gates,
    )


def is_unverified(evidence: Evidence) -> bool:
    return evidence.status is EvidenceStatus.unverified
