"""The one pure entry point: (pack, line facts, request, today) -> Decision.

No I/O, no clock, no settings. Every fact comes from the pack's compiled rules, and every rule
that shaped the decision is listed in `Decision.evidence`. Rules marked `U` that *decided*
something (a date, a non-zero amount, a blocker, the balance) send the case to a person in
strict mode; rules that are only shown (identity methods, quarantine) do not.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from simexit.kit.money import Money
from simexit.policies.business_days import add_business_days
from simexit.policies.dates import completed_months, end_of_billing_cycle, notice_end
from simexit.policies.model import (
    CaseRequest,
    Channel,
    Decision,
    Evidence,
    EvidenceStatus,
    Finding,
    LineFacts,
    LineKind,
    LineStatus,
    MoneyItem,
    Outcome,
    Plan,
    RequestType,
    SettlementChoice,
)
from simexit.policies.money import money_param, prorate
from simexit.policies.schema import (
    BalancePolicy,
    DeviceBalanceDue,
    EarlyExitType,
    EffectiveRule,
    GateRule,
    UnpaidBillsPolicy,
)

if TYPE_CHECKING:
    from simexit.policies.pack import Pack
    from simexit.policies.rules import CompiledRules, EarlyExit

RT = RequestType
ENDS_LINE = frozenset({RT.terminate, RT.port_out})
STATUSES_ALLOWED: dict[RequestType, frozenset[LineStatus]] = {
    RT.terminate: frozenset({LineStatus.active, LineStatus.suspended}),
    RT.port_out: frozenset({LineStatus.active, LineStatus.suspended}),
    RT.suspend: frozenset({LineStatus.active}),
    RT.resume: frozenset({LineStatus.suspended}),
    RT.reactivate: frozenset({LineStatus.terminated}),
}
PORT_PENDING_BLOCKS = frozenset({RT.terminate, RT.suspend, RT.port_out})
ONLINE_CHANNELS = frozenset({Channel.web, Channel.app})
TWO_FACTOR_SERVICES = frozenset({"two_factor", "bankid", "gosuslugi", "bank", "mobile_id"})


@lru_cache(maxsize=4096)
def _sla_due(today: date, days: int, calendar: str) -> date:
    return add_business_days(today, days, calendar)


class _Work:
    """The lists one evaluation fills; a plain holder so helpers stay small."""

    __slots__ = (
        "alternatives",
        "blockers",
        "charges",
        "checklist",
        "decisive",
        "evidence",
        "reviews",
    )

    def __init__(self) -> None:
        self.blockers: list[Finding] = []
        self.reviews: list[Finding] = []
        self.charges: list[MoneyItem] = []
        self.checklist: list[Finding] = []
        self.alternatives: list[Finding] = []
        self.evidence: list[Evidence] = []
        self.decisive: list[Evidence] = []

    def decided_by(self, *items: Evidence) -> None:
        self.evidence.extend(items)
        self.decisive.extend(items)

    def shown(self, *items: Evidence) -> None:
        self.evidence.extend(items)


def evaluate(
    pack: Pack, line: LineFacts, request: CaseRequest, today: date, *, strict: bool = True
) -> Decision:
    rules = pack.rules_for(line.plan, line.kind, line.region)
    if line.currency != rules.currency:
        raise ValueError(
            f"line currency {line.currency} does not match pack {rules.pack_id} ({rules.currency})"
        )
    work = _Work()
    kind = request.type

    _gate_status_and_port(line, request, work)
    identity = _channel_and_identity(rules, line, request, work)
    effective, billing_end = _dates(rules, line, request, today, work)

    refund = transfer = forfeit = rules.zero
    applied_to_debt: Money | None = None
    balance_outcome: str | None = None
    if kind in ENDS_LINE:
        _early_exit(rules, line, today, effective, work)
        netted = _debts_and_fees(rules, line, request, work)
        if line.balance is not None and line.balance.minor > 0:
            balance_outcome, refund, transfer, forfeit = _balance(
                rules, line, request, netted, work
            )
            applied_to_debt = netted if netted.minor else None
        _min_topup_age(rules, line, request, today, work)
    elif kind is RT.suspend:
        _suspension(rules, line, request, today, effective, work)
    elif kind is RT.reactivate:
        _reactivation(rules, line, today, work)
    _regulatory_gates(rules, line, request, work)

    if rules.review_manual:
        work.reviews.append(Finding("manual_review_policy", {}, (rules.review_mode_ev,)))
        work.shown(rules.review_mode_ev)
    if strict:
        unverified = tuple(
            e for e in dict.fromkeys(work.decisive) if e.status is EvidenceStatus.unverified
        )
        if unverified:
            paths = [e.path for e in unverified]
            details = pack.evidence_details(line.plan, line.kind, line.region, paths)
            work.reviews.append(
                Finding("unverified_policy_value", {"paths": paths, "rules": details}, unverified)
            )

    if work.blockers:
        outcome = Outcome.block
    elif work.reviews:
        outcome = Outcome.review
    else:
        outcome = Outcome.approve

    work.shown(rules.sla_ev)
    sla_due = _sla_due(today, rules.sla_business_days, rules.sla_calendar)

    quarantine_until = reactivation_deadline = sim_deadline = None
    sim_required = False
    if kind is RT.terminate and effective is not None:
        if rules.quarantine_days is not None:
            quarantine_until = effective + timedelta(days=rules.quarantine_days)
        work.shown(rules.quarantine_ev)
        if rules.reactivation_window_days is not None:
            reactivation_deadline = effective + timedelta(days=rules.reactivation_window_days)
        work.shown(rules.reactivation_window_ev)
    elif (
        kind is RT.reactivate
        and line.terminated_on is not None
        and rules.reactivation_window_days is not None
    ):
        reactivation_deadline = line.terminated_on + timedelta(days=rules.reactivation_window_days)
    if kind in ENDS_LINE and line.kind is not LineKind.esim and effective is not None:
        sim_required = rules.sim_return_required and not line.sim_returned
        work.shown(rules.sim_return_ev)
        if sim_required and rules.sim_return_days is not None:
            sim_deadline = effective + timedelta(days=rules.sim_return_days)

    if kind in ENDS_LINE:
        _checklist(rules, line, request, work, sim_required, sim_deadline, balance_outcome)
    if kind is RT.terminate:
        _alternatives(rules, line, work)

    return Decision(
        outcome=outcome,
        effective_date=effective,
        billing_end_date=billing_end,
        sla_due_date=sla_due,
        currency=rules.currency,
        charges=tuple(work.charges),
        balance_outcome=balance_outcome,
        refund=refund,
        transfer=transfer,
        forfeit=forfeit,
        blockers=tuple(work.blockers),
        review_reasons=tuple(work.reviews),
        identity_methods=identity,
        quarantine_until=quarantine_until,
        reactivation_deadline=reactivation_deadline,
        sim_return_required=sim_required,
        sim_return_deadline=sim_deadline,
        checklist=tuple(work.checklist),
        alternatives=tuple(work.alternatives),
        evidence=tuple(dict.fromkeys(work.evidence)),
        pack_id=rules.pack_id,
        pack_reviewed=rules.reviewed,
        applied_to_debt=applied_to_debt,
        confirmation_channels=rules.confirmation_channels,
    )


def _gate_status_and_port(line: LineFacts, request: CaseRequest, work: _Work) -> None:
    if line.status not in STATUSES_ALLOWED[request.type]:
        work.blockers.append(
            Finding(
                "line_status_not_allowed",
                {"status": line.status.value, "request": request.type.value},
            )
        )
    # A pending port ends the line by itself; a separate request would lose the number.
    if line.port_pending and request.type in PORT_PENDING_BLOCKS:
        work.blockers.append(Finding("port_pending", {"request": request.type.value}))


def _channel_and_identity(
    rules: CompiledRules, line: LineFacts, request: CaseRequest, work: _Work
) -> tuple[str, ...]:
    allowed = rules.channel_index[(request.type, line.plan, line.kind)]
    work.shown(rules.channels_ev)
    identity = allowed.get(request.channel)
    if (
        identity is None
        and request.channel in ONLINE_CHANNELS
        and line.signed_up_channel == "online"
    ):
        for gate in rules.gates:
            if (
                gate.rule is GateRule.online_cancel_if_signed_up_online
                and request.type in gate.applies_to
            ):
                # The law grants the online channel even where the operator's terms do not.
                work.decided_by(gate.evidence)
                identity = allowed.get(Channel.web) or rules.identity_default
                break
    if identity is None:
        work.decided_by(rules.channels_ev)
        work.blockers.append(
            Finding(
                "channel_not_allowed",
                {"channel": request.channel.value, "allowed": [c.value for c in allowed]},
                (rules.channels_ev,),
            )
        )
        return rules.identity_default
    work.shown(rules.identity_ev)
    return identity or rules.identity_default


def _dates(
    rules: CompiledRules, line: LineFacts, request: CaseRequest, today: date, work: _Work
) -> tuple[date | None, date | None]:
    requested = request.requested_date
    kind = request.type
    if kind is RT.terminate:
        rule = rules.effective_rule
        work.decided_by(rules.effective_rule_ev)
        if rule is EffectiveRule.n_days:
            work.decided_by(rules.notice_n_days_ev)
        earliest = notice_end(
            rule,
            today,
            n_days=rules.notice_n_days,
            cycle_day=line.billing_cycle_day,
            plan_expiry=line.plan_expiry,
        )
        effective = requested if requested is not None and requested > earliest else earliest
        effective = max(effective, today)
        if line.plan is Plan.postpaid and rule is EffectiveRule.end_of_billing_cycle:
            return effective, end_of_billing_cycle(effective, line.billing_cycle_day)
        return effective, effective
    if kind is RT.port_out:
        earliest = today
        if rules.port_min_lead_days is not None:
            earliest = today + timedelta(days=rules.port_min_lead_days)
            work.decided_by(rules.port_min_lead_ev)
        effective = requested if requested is not None and requested > earliest else earliest
        if rules.port_max_lead_days is not None and requested is not None:
            latest = today + timedelta(days=rules.port_max_lead_days)
            work.decided_by(rules.port_max_lead_ev)
            if requested > latest:
                work.blockers.append(
                    Finding(
                        "port_date_too_late",
                        {"latest": latest.isoformat()},
                        (rules.port_max_lead_ev,),
                    )
                )
        work.decided_by(rules.port_billing_ev)
        if line.plan is Plan.postpaid and rules.port_billing_until_cycle_end:
            return effective, end_of_billing_cycle(effective, line.billing_cycle_day)
        return effective, effective
    if kind is RT.suspend:
        return (requested if requested is not None and requested > today else today), None
    return today, None


def _choose_early_exit(rules: CompiledRules, commitment_kind: str | None) -> EarlyExit | None:
    fallback = None
    for rule in rules.early_exit:
        if commitment_kind is not None and rule.applies_to == commitment_kind:
            return rule
        if rule.applies_to == "any" and fallback is None:
            fallback = rule
    return fallback


def _early_exit(
    rules: CompiledRules, line: LineFacts, today: date, effective: date | None, work: _Work
) -> None:
    end = line.commitment_end
    start = line.commitment_start
    if end is None or effective is None or effective >= end:
        return
    if line.commitment_kind is None and any(r.applies_to != "any" for r in rules.early_exit):
        # The pack's fees depend on what the commitment was for; without it a person decides.
        evidence = tuple(r.evidence for r in rules.early_exit)
        work.reviews.append(Finding("commitment_kind_unknown", {}, evidence))
        return
    rule = _choose_early_exit(rules, line.commitment_kind)
    if rule is None or rule.type is EarlyExitType.none:
        if rule is not None:
            work.shown(rule.evidence)
        return
    days_in = (today - start).days if start is not None else None
    if (
        days_in is not None
        and rule.free_window_days is not None
        and days_in < rule.free_window_days
    ):
        work.decided_by(rule.evidence)
        return
    if (
        days_in is not None
        and rules.cooling_off_days is not None
        and line.signed_up_channel == "online"
        and days_in < rules.cooling_off_days
    ):
        work.decided_by(rules.cooling_off_ev)
        return
    fee: Money | None = None
    if rule.type is EarlyExitType.etf_linear and rule.amount is not None:
        # The fee falls with each month served until the line ends, not until the request.
        months = completed_months(start, effective) if start is not None else 0
        fee = rule.amount
        if rule.decrement_per_month is not None:
            fee = (
                fee - Money(rule.decrement_per_month.minor * months, fee.currency)
            ).clamp_min_zero()
    elif rule.type is EarlyExitType.remaining_benefit_pro_rata:
        if line.commitment_benefit is None or start is None:
            work.reviews.append(Finding("commitment_benefit_unknown", {}, (rule.evidence,)))
        else:
            total = max(completed_months(start, end), 1)
            remaining = max(total - completed_months(start, effective), 0)
            fee = prorate(line.commitment_benefit, remaining, total)
            if rule.capped_at_remaining_fees:
                fee = _capped_at_remaining_fees(fee, line, effective, end, rule, work)
    elif rule.type is EarlyExitType.remaining_fees:
        if line.monthly_fee is None:
            work.reviews.append(Finding("monthly_fee_unknown", {}, (rule.evidence,)))
        else:
            fee = Money(
                line.monthly_fee.minor * completed_months(effective, end), line.monthly_fee.currency
            )
    work.shown(rule.evidence)
    if fee is not None and fee.minor > 0:
        work.decided_by(rule.evidence)
        work.charges.append(MoneyItem("early_exit_fee", fee, (rule.evidence,)))
    if rule.admin_fee is not None and rule.admin_fee.minor > 0:
        work.decided_by(rule.evidence)
        work.charges.append(MoneyItem("early_exit_admin_fee", rule.admin_fee, (rule.evidence,)))


def _capped_at_remaining_fees(
    fee: Money, line: LineFacts, effective: date, end: date, rule: EarlyExit, work: _Work
) -> Money:
    """The lower of the pro-rata benefit and the monthly fees left until the commitment ends."""
    if line.monthly_fee is None:
        work.reviews.append(Finding("monthly_fee_unknown", {}, (rule.evidence,)))
        return fee
    remaining_fees = Money(
        line.monthly_fee.minor * completed_months(effective, end), line.monthly_fee.currency
    )
    return min(fee, remaining_fees)


def _debts_and_fees(
    rules: CompiledRules, line: LineFacts, request: CaseRequest, work: _Work
) -> Money:
    """Charges the end of a line brings; returns the part of the balance netted against debt."""
    if rules.cancellation_fee.minor > 0 and request.type is RT.terminate:
        work.decided_by(rules.cancellation_fee_ev)
        work.charges.append(
            MoneyItem("cancellation_fee", rules.cancellation_fee, (rules.cancellation_fee_ev,))
        )
    device = line.device_instalment_balance
    if device is not None and device.minor > 0:
        work.decided_by(rules.device_due_ev)
        if rules.device_due is DeviceBalanceDue.continue_schedule:
            work.checklist.append(
                Finding("device_instalments_continue", {"balance": money_param(device)})
            )
        else:
            work.charges.append(MoneyItem("device_instalments", device, (rules.device_due_ev,)))
    netted = rules.zero
    unpaid = line.unpaid_bills
    if unpaid is None or unpaid.minor <= 0:
        return netted
    work.decided_by(rules.unpaid_policy_ev)
    policy = rules.unpaid_policy
    if (
        policy is UnpaidBillsPolicy.net_against_balance
        and line.balance is not None
        and line.balance.minor > 0
    ):
        netted = Money(min(line.balance.minor, unpaid.minor), unpaid.currency)
    owed = unpaid - netted
    if owed.minor > 0:
        work.charges.append(MoneyItem("unpaid_bills", owed, (rules.unpaid_policy_ev,)))
        if request.type is RT.port_out:
            # Norway: a donor may not hold a port hostage over debt; Russia: debt blocks the port.
            work.decided_by(rules.port_blocks_on_debt_ev)
            if rules.port_blocks_on_debt:
                work.blockers.append(
                    Finding(
                        "unpaid_bills",
                        {"amount": money_param(owed)},
                        (rules.port_blocks_on_debt_ev,),
                    )
                )
        elif policy is UnpaidBillsPolicy.block:
            work.blockers.append(
                Finding("unpaid_bills", {"amount": money_param(owed)}, (rules.unpaid_policy_ev,))
            )
        elif policy is UnpaidBillsPolicy.instalment_plan:
            work.reviews.append(
                Finding(
                    "instalment_plan_needed",
                    {"amount": money_param(owed)},
                    (rules.unpaid_policy_ev,),
                )
            )
    return netted


def _balance(
    rules: CompiledRules, line: LineFacts, request: CaseRequest, netted: Money, work: _Work
) -> tuple[str, Money, Money, Money]:
    """Split the prepaid balance into refund, transfer and forfeit (plus what was netted)."""
    balance = line.balance
    assert balance is not None  # noqa: S101 - the caller checked
    zero = rules.zero
    work.decided_by(rules.balance_ev)
    available = balance - netted
    bonus = line.bonus_balance.minor if line.bonus_balance is not None else 0
    payable = (
        available.minor - min(bonus, available.minor)
        if rules.balance_excludes_bonus
        else available.minor
    )
    policy = rules.balance_policy
    choice = request.settlement
    switching = request.type is RT.port_out
    refund_allowed = policy is BalancePolicy.refund_on_request
    if switching and rules.refund_on_switch:
        work.decided_by(rules.refund_on_switch_ev)
        refund_allowed = True
    transfer_allowed = (
        policy is BalancePolicy.transfer_to_number
        or "same_operator_number" in rules.balance_methods
    )
    if choice is None:
        choice = (
            SettlementChoice.refund
            if refund_allowed
            else SettlementChoice.transfer
            if policy is BalancePolicy.transfer_to_number
            else SettlementChoice.forfeit
        )
    if choice is SettlementChoice.refund and refund_allowed:
        minimum = rules.balance_min_payout
        if minimum is not None and payable < minimum.minor:
            work.checklist.append(
                Finding("refund_below_minimum", {"minimum": money_param(minimum)})
            )
            return "forfeit", zero, zero, available
        refund = Money(payable, balance.currency)
        return "refund", refund, zero, available - refund
    if choice is SettlementChoice.transfer and transfer_allowed:
        if not request.transfer_to_msisdn:
            work.blockers.append(Finding("transfer_number_missing", {}, (rules.balance_ev,)))
        moved = Money(payable, balance.currency)
        return "transfer", zero, moved, available - moved
    if choice is not SettlementChoice.forfeit:
        work.checklist.append(
            Finding("settlement_not_offered", {"requested": choice.value, "outcome": "forfeit"})
        )
    return "forfeit", zero, zero, available


def _min_topup_age(
    rules: CompiledRules, line: LineFacts, request: CaseRequest, today: date, work: _Work
) -> None:
    minimum = rules.min_topup_days
    if request.type is not RT.terminate or line.plan is not Plan.prepaid or minimum is None:
        return
    if line.last_topup_on is None:
        return
    days = (today - line.last_topup_on).days
    work.decided_by(rules.min_topup_ev)
    if days < minimum:
        work.blockers.append(
            Finding(
                "min_topup_age",
                {
                    "days": days,
                    "minimum": minimum,
                    "allowed_from": (line.last_topup_on + timedelta(days=minimum)).isoformat(),
                },
                (rules.min_topup_ev,),
            )
        )


def _suspension(
    rules: CompiledRules,
    line: LineFacts,
    request: CaseRequest,
    today: date,
    start: date | None,
    work: _Work,
) -> None:
    work.decided_by(rules.suspension_allowed_ev)
    if not rules.suspension_allowed:
        work.blockers.append(Finding("suspension_not_allowed", {}, (rules.suspension_allowed_ev,)))
        return
    limit = rules.suspension_times_per_year
    if limit is not None:
        work.decided_by(rules.suspension_times_ev)
        per_number = rules.suspension_counted_per == "number"
        if per_number:
            work.decided_by(rules.suspension_counted_per_ev)
        # A number's total is at least its count this year (a BSS may give only the latter).
        times = (
            max(line.suspensions_total, line.suspensions_this_year)
            if per_number
            else line.suspensions_this_year
        )
        if times >= limit:
            work.blockers.append(
                Finding(
                    "suspension_limit_reached",
                    {"times": times, "limit": limit},
                    (rules.suspension_times_ev, rules.suspension_counted_per_ev)
                    if per_number
                    else (rules.suspension_times_ev,),
                )
            )
    max_days = rules.suspension_max_days
    if max_days is not None and request.suspend_until is not None and start is not None:
        work.decided_by(rules.suspension_max_days_ev)
        if (request.suspend_until - start).days > max_days:
            work.blockers.append(
                Finding(
                    "suspension_too_long",
                    {
                        "max_days": max_days,
                        "latest_until": (start + timedelta(days=max_days)).isoformat(),
                    },
                    (rules.suspension_max_days_ev,),
                )
            )
    if (
        not rules.suspension_during_commitment
        and line.commitment_end is not None
        and line.commitment_end > today
    ):
        work.decided_by(rules.suspension_during_commitment_ev)
        work.blockers.append(
            Finding(
                "suspension_not_during_commitment",
                {"commitment_end": line.commitment_end.isoformat()},
                (rules.suspension_during_commitment_ev,),
            )
        )
    if rules.suspension_fee.minor > 0:
        work.decided_by(rules.suspension_fee_ev)
        work.charges.append(
            MoneyItem("suspension_fee", rules.suspension_fee, (rules.suspension_fee_ev,))
        )


def _reactivation(rules: CompiledRules, line: LineFacts, today: date, work: _Work) -> None:
    work.decided_by(rules.reactivation_window_ev)
    window = rules.reactivation_window_days
    if window is None:
        work.blockers.append(
            Finding("reactivation_not_offered", {}, (rules.reactivation_window_ev,))
        )
        return
    if line.terminated_on is not None:
        deadline = line.terminated_on + timedelta(days=window)
        if today > deadline:
            work.blockers.append(
                Finding(
                    "reactivation_window_over",
                    {"deadline": deadline.isoformat(), "window_days": window},
                    (rules.reactivation_window_ev,),
                )
            )
    if rules.reactivation_fee.minor > 0:
        work.decided_by(rules.reactivation_fee_ev)
        work.charges.append(
            MoneyItem("reactivation_fee", rules.reactivation_fee, (rules.reactivation_fee_ev,))
        )


def _regulatory_gates(
    rules: CompiledRules, line: LineFacts, request: CaseRequest, work: _Work
) -> None:
    for gate in rules.gates:
        if gate.rule is not GateRule.max_sim_count:
            continue
        limit = int(gate.params.get("limit", 0))
        count = line.subscriber_sim_count
        if request.type in gate.applies_to:
            # Bringing a line back counts as taking one more SIM.
            over = count >= limit if request.type is RT.reactivate else count > limit
            work.shown(gate.evidence)
            if over:
                work.decided_by(gate.evidence)
                work.blockers.append(
                    Finding(
                        "sim_limit_reached",
                        {"count": count, "limit": limit, "gate": gate.id},
                        (gate.evidence,),
                    )
                )
        elif request.type is RT.terminate and count > limit:
            work.shown(gate.evidence)
            work.checklist.append(
                Finding("cancel_excess_sims", {"count": count, "limit": limit, "gate": gate.id})
            )


def _checklist(
    rules: CompiledRules,
    line: LineFacts,
    request: CaseRequest,
    work: _Work,
    sim_required: bool,
    sim_deadline: date | None,
    balance_outcome: str | None,
) -> None:
    add = work.checklist.append
    if request.type is RT.port_out:
        add(Finding("keep_line_until_port_completes", {}))
    if line.kind is LineKind.physical_sim:
        add(Finding("backup_sim_contacts", {}))
    elif line.kind is LineKind.data_only:
        # A data card sits in a router, tablet or car: what it holds goes when the line closes.
        add(Finding("backup_data_card", {}))
    services = line.linked_services
    if services:
        two_factor = sorted(s for s in services if s in TWO_FACTOR_SERVICES)
        if two_factor:
            add(Finding("move_two_factor", {"services": two_factor}))
        if "autopay_card" in services:
            add(Finding("unbind_autopay", {}))
        if "third_party_billing" in services:
            add(Finding("cancel_third_party_billing", {}))
    add(Finding("keep_id_and_purchase_proof", {"purchase_channel": line.purchase_channel}))
    if line.kind is LineKind.esim:
        # Deleting the profile never ends the contract; delete it only once the line is closed.
        add(Finding("esim_delete_after_completion", {}))
    if sim_required:
        fee = rules.sim_non_return_fee
        work.shown(rules.sim_return_days_ev, rules.sim_non_return_fee_ev)
        add(
            Finding(
                "return_sim",
                {
                    "deadline": sim_deadline.isoformat() if sim_deadline is not None else None,
                    "fee": money_param(fee),
                },
                (rules.sim_return_ev, rules.sim_non_return_fee_ev),
            )
        )
    if line.unpaid_bills is not None and line.unpaid_bills.minor > 0:
        add(Finding("settle_unpaid_bills", {"amount": money_param(line.unpaid_bills)}))
    if balance_outcome is not None and request.settlement is None:
        options = ["forfeit"]
        if rules.balance_policy is BalancePolicy.refund_on_request or (
            request.type is RT.port_out and rules.refund_on_switch
        ):
            options.insert(0, "refund")
        if (
            rules.balance_policy is BalancePolicy.transfer_to_number
            or "same_operator_number" in rules.balance_methods
        ):
            options.insert(-1, "transfer")
        add(Finding("choose_balance_outcome", {"options": options, "default": balance_outcome}))


def _alternatives(rules: CompiledRules, line: LineFacts, work: _Work) -> None:
    if not line.port_pending:
        work.alternatives.append(Finding("port_out", {"keeps_number": True}))
    if rules.suspension_allowed and line.status is LineStatus.active:
        work.shown(rules.suspension_allowed_ev, rules.suspension_max_days_ev)
        work.alternatives.append(
            Finding(
                "suspend",
                {"max_days": rules.suspension_max_days, "fee": money_param(rules.suspension_fee)},
            )
        )
