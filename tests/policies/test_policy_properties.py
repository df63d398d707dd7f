"""Properties that hold for every shipped pack and any line, request and day."""

from __future__ import annotations

import json
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from simexit.kit.money import Money
from simexit.policies.business_days import is_business_day
from simexit.policies.engine import evaluate
from simexit.policies.loader import load_registry
from simexit.policies.model import (
    CaseRequest,
    Channel,
    Decision,
    LineFacts,
    LineKind,
    LineStatus,
    Plan,
    RequestType,
    SettlementChoice,
)
from simexit.policies.serialize import decision_from_dict, decision_to_dict

REGISTRY = load_registry()
PACK_IDS = REGISTRY.ids()
CURRENCY = {"no": "NOK", "us": "USD", "ru": "RUB"}
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def cases(
    draw: st.DrawFn, pack_ids: list[str] = PACK_IDS
) -> tuple[str, LineFacts, CaseRequest, date]:
    pack_id = draw(st.sampled_from(pack_ids))
    currency = CURRENCY[pack_id.split("/")[0]]
    today = draw(days)

    def amount(max_minor: int = 500_000) -> Money | None:
        minor = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=max_minor)))
        return None if minor is None else Money(minor, currency)

    balance = amount()
    bonus = None
    if balance is not None:
        bonus = Money(draw(st.integers(min_value=0, max_value=balance.minor)), currency)
    start = draw(
        st.one_of(st.none(), st.dates(min_value=today - timedelta(days=900), max_value=today))
    )
    line = LineFacts(
        kind=draw(st.sampled_from(LineKind)),
        plan=draw(st.sampled_from(Plan)),
        currency=currency,
        activated_on=today - timedelta(days=draw(st.integers(0, 3000))),
        status=draw(st.sampled_from(LineStatus)),
        region=draw(st.sampled_from([None, "CA", "TX"])),
        commitment_start=start,
        commitment_end=None if start is None else start + timedelta(days=draw(st.integers(1, 900))),
        commitment_kind=draw(st.sampled_from([None, "smartphone", "basic", "installment_plan"])),
        commitment_benefit=amount(),
        monthly_fee=amount(100_000),
        billing_cycle_day=draw(st.one_of(st.none(), st.integers(1, 28))),
        plan_expiry=draw(st.one_of(st.none(), days)),
        last_topup_on=draw(
            st.one_of(st.none(), st.dates(max_value=today, min_value=today - timedelta(days=400)))
        ),
        balance=balance,
        bonus_balance=bonus,
        unpaid_bills=amount(),
        device_instalment_balance=amount(),
        linked_services=tuple(
            draw(
                st.sets(
                    st.sampled_from(["autopay_card", "bankid", "two_factor", "third_party_billing"])
                )
            )
        ),
        port_pending=draw(st.booleans()),
        suspensions_this_year=draw(st.integers(0, 4)),
        terminated_on=draw(
            st.one_of(st.none(), st.dates(max_value=today, min_value=today - timedelta(days=400)))
        ),
        subscriber_sim_count=draw(st.integers(1, 25)),
        signed_up_channel=draw(st.sampled_from([None, "online", "store"])),
        sim_returned=draw(st.booleans()),
    )
    request = CaseRequest(
        type=draw(st.sampled_from(RequestType)),
        channel=draw(st.sampled_from(Channel)),
        requested_date=draw(
            st.one_of(
                st.none(),
                st.dates(
                    min_value=today - timedelta(days=60), max_value=today + timedelta(days=120)
                ),
            )
        ),
        settlement=draw(st.one_of(st.none(), st.sampled_from(SettlementChoice))),
        transfer_to_msisdn=draw(st.sampled_from([None, "+4791234567"])),
        suspend_until=draw(
            st.one_of(st.none(), st.dates(min_value=today, max_value=today + timedelta(days=400)))
        ),
    )
    return pack_id, line, request, today


def decide(case: tuple[str, LineFacts, CaseRequest, date]) -> Decision:
    pack_id, line, request, today = case
    return evaluate(REGISTRY.get(pack_id), line, request, today)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_dates_are_never_in_the_past(case: tuple[str, LineFacts, CaseRequest, date]) -> None:
    decision = decide(case)
    today = case[3]
    assert decision.effective_date is None or decision.effective_date >= today
    assert decision.billing_end_date is None or decision.billing_end_date >= today


@settings(max_examples=300, deadline=None)
@given(cases())
def test_sla_due_is_a_business_day(case: tuple[str, LineFacts, CaseRequest, date]) -> None:
    pack_id, line, _, today = case
    decision = decide(case)
    calendar = REGISTRY.get(pack_id).rules_for(line.plan, line.kind, line.region).sla_calendar
    assert decision.sla_due_date is not None
    assert decision.sla_due_date > today
    assert is_business_day(decision.sla_due_date, calendar)


@settings(max_examples=400, deadline=None)
@given(cases())
def test_money_is_never_negative_and_the_balance_is_kept(
    case: tuple[str, LineFacts, CaseRequest, date],
) -> None:
    line = case[1]
    decision = decide(case)
    assert all(item.amount.minor >= 0 for item in decision.charges)
    assert all(item.amount.currency == line.currency for item in decision.charges)
    for part in (decision.refund, decision.transfer, decision.forfeit):
        assert part.minor >= 0
    balance = line.balance.minor if line.balance is not None else 0
    assert decision.refund.minor <= balance
    if decision.balance_outcome is not None:
        netted = decision.applied_to_debt.minor if decision.applied_to_debt is not None else 0
        assert (
            decision.refund.minor + decision.transfer.minor + decision.forfeit.minor + netted
            == balance
        )


@settings(max_examples=200, deadline=None)
@given(
    cases(pack_ids=[p for p in PACK_IDS if p.startswith("no/")]),
    st.sampled_from([RequestType.port_out, RequestType.terminate]),
)
def test_eea_prepaid_credit_is_refundable_on_request(
    case: tuple[str, LineFacts, CaseRequest, date], request_type: RequestType
) -> None:
    pack_id, line, request, today = case
    request = CaseRequest(
        type=request_type, channel=request.channel, settlement=SettlementChoice.refund
    )
    decision = evaluate(REGISTRY.get(pack_id), line, request, today)
    if line.balance is None or line.balance.minor == 0:
        assert decision.balance_outcome is None
        return
    rules = REGISTRY.get(pack_id).rules_for(line.plan, line.kind, line.region)
    bonus = (
        line.bonus_balance.minor
        if line.bonus_balance is not None and rules.balance_excludes_bonus
        else 0
    )
    payable = line.balance.minor - bonus
    minimum = rules.balance_min_payout
    if minimum is None or payable >= minimum.minor:
        assert decision.balance_outcome == "refund"
        assert decision.refund.minor == payable
    else:
        assert decision.balance_outcome == "forfeit"


@settings(max_examples=200, deadline=None)
@given(cases())
def test_same_input_same_decision_and_exact_round_trip(
    case: tuple[str, LineFacts, CaseRequest, date],
) -> None:
    first, second = decide(case), decide(case)
    assert first == second
    as_json = json.loads(json.dumps(decision_to_dict(first)))
    assert decision_from_dict(as_json) == first
