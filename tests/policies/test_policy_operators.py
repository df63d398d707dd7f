"""Table-driven decisions per operator, with concrete dates and amounts from the shipped packs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from simexit.policies.engine import evaluate
from simexit.policies.loader import PackRegistry, load_registry
from simexit.policies.model import (
    Channel,
    Finding,
    LineKind,
    LineStatus,
    Outcome,
    Plan,
    RequestType,
    SettlementChoice,
)
from tests.policies.policy_factories import line_for, money, request

RT = RequestType


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [f.code for f in findings]


class TestEffectiveDates:
    @pytest.mark.parametrize(
        ("pack_id", "kind", "today", "requested", "expected"),
        [
            # Telenor: one calendar month counted from the 1st of the next month.
            ("no/telenor", LineKind.physical_sim, date(2026, 12, 17), None, date(2027, 1, 31)),
            ("no/telenor", LineKind.physical_sim, date(2026, 6, 1), None, date(2026, 7, 31)),
            ("no/telenor", LineKind.esim, date(2027, 1, 31), None, date(2027, 2, 28)),
            # Telenor mobile broadband: end of the current month.
            ("no/telenor", LineKind.data_only, date(2026, 12, 17), None, date(2026, 12, 31)),
            # Ice mobile: the day after the notice arrives; broadband as Telenor's mobile.
            ("no/ice", LineKind.physical_sim, date(2026, 3, 10), None, date(2026, 3, 11)),
            ("no/ice", LineKind.physical_sim, date(2026, 12, 31), None, date(2027, 1, 1)),
            ("no/ice", LineKind.data_only, date(2026, 3, 10), None, date(2026, 4, 30)),
            # A later requested date wins; an earlier one never pulls the date before the rule.
            (
                "no/ice",
                LineKind.physical_sim,
                date(2026, 3, 10),
                date(2026, 4, 1),
                date(2026, 4, 1),
            ),
            (
                "no/ice",
                LineKind.physical_sim,
                date(2026, 3, 10),
                date(2026, 3, 1),
                date(2026, 3, 11),
            ),
            ("no/telia", LineKind.physical_sim, date(2026, 2, 14), None, date(2026, 3, 31)),
            # Russia: immediate.
            ("ru/mts", LineKind.physical_sim, date(2026, 5, 5), None, date(2026, 5, 5)),
        ],
    )
    def test_terminate_effective_date(
        self,
        registry: PackRegistry,
        pack_id: str,
        kind: LineKind,
        today: date,
        requested: date | None,
        expected: date,
    ) -> None:
        decision = evaluate(
            registry.get(pack_id),
            line_for(pack_id, kind=kind),
            request(requested_date=requested),
            today,
        )
        assert decision.effective_date == expected
        assert decision.billing_end_date == expected

    @pytest.mark.parametrize(
        ("cycle_day", "today", "expected"),
        [
            (15, date(2026, 11, 20), date(2026, 12, 14)),
            (15, date(2026, 11, 3), date(2026, 11, 14)),
            (None, date(2026, 11, 3), date(2026, 11, 30)),
        ],
    )
    def test_att_ends_at_bill_cycle_end(
        self, registry: PackRegistry, cycle_day: int | None, today: date, expected: date
    ) -> None:
        line = line_for("us/att", billing_cycle_day=cycle_day)
        decision = evaluate(registry.get("us/att"), line, request(channel=Channel.web), today)
        assert decision.effective_date == expected
        assert decision.outcome is Outcome.approve

    def test_verizon_prepaid_ends_at_plan_expiry(self, registry: PackRegistry) -> None:
        line = line_for("us/verizon", plan=Plan.prepaid, plan_expiry=date(2026, 5, 20))
        decision = evaluate(
            registry.get("us/verizon"), line, request(channel=Channel.phone), date(2026, 5, 2)
        )
        assert decision.effective_date == date(2026, 5, 20)

    def test_port_out_waits_for_russian_minimum_lead(self, registry: PackRegistry) -> None:
        line = line_for("ru/mts", plan=Plan.prepaid)
        decision = evaluate(
            registry.get("ru/mts"),
            line,
            request(RT.port_out, Channel.port_in_operator),
            date(2026, 5, 5),
        )
        assert decision.effective_date == date(2026, 5, 13)


class TestMoney:
    @pytest.mark.parametrize(
        ("commitment_kind", "start", "today", "expected"),
        [
            ("smartphone", date(2026, 4, 20), date(2026, 11, 20), "255.00"),  # 325 - 7 x 10
            # Six months served by the request, seven by the end of the billing cycle: 325 - 7 x 10
            ("smartphone", date(2026, 4, 20), date(2026, 11, 19), "255.00"),
            ("basic", date(2026, 1, 5), date(2026, 11, 5), "110.00"),  # 150 - 10 x 4
            (
                "smartphone",
                date(2024, 1, 1),
                date(2026, 11, 20),
                "0.00",
            ),  # fully decremented, still in term
            (
                "smartphone",
                date(2026, 11, 10),
                date(2026, 11, 20),
                "0.00",
            ),  # inside the 14-day window
            ("installment_plan", date(2026, 4, 20), date(2026, 11, 20), "0.00"),
        ],
    )
    def test_att_early_termination_fee(
        self, registry: PackRegistry, commitment_kind: str, start: date, today: date, expected: str
    ) -> None:
        line = line_for(
            "us/att",
            commitment_start=start,
            commitment_end=date(2028, 4, 20),
            commitment_kind=commitment_kind,
        )
        decision = evaluate(registry.get("us/att"), line, request(channel=Channel.web), today)
        assert decision.total_due == money(expected, "USD")
        if expected != "0.00":
            (item,) = decision.charges
            assert item.code == "early_exit_fee"
            assert item.evidence[0].sources == ("att_etf", "att_etf14")

    def test_att_fee_counts_the_months_served_until_the_line_ends(
        self, registry: PackRegistry
    ) -> None:
        """Started 10 May, asked on 1 December: seven months are served by the end date (the
        end of the billing cycle; 325 - 7 x 10), though only six by the day of the request."""
        line = line_for(
            "us/att",
            commitment_start=date(2026, 5, 10),
            commitment_end=date(2028, 5, 10),
            commitment_kind="smartphone",
        )
        decision = evaluate(
            registry.get("us/att"),
            line,
            request(channel=Channel.web, requested_date=date(2026, 12, 14)),
            date(2026, 12, 1),
        )
        assert decision.effective_date is not None
        assert decision.effective_date >= date(2026, 12, 10)
        assert decision.total_due == money("255.00", "USD")

    def test_att_device_instalments_fall_due(self, registry: PackRegistry) -> None:
        line = line_for("us/att", device_instalment_balance=money("480.00", "USD"))
        decision = evaluate(
            registry.get("us/att"), line, request(channel=Channel.phone), date(2026, 11, 20)
        )
        assert [(c.code, c.amount) for c in decision.charges] == [
            ("device_instalments", money("480.00", "USD"))
        ]

    def test_ice_exit_fee_is_remaining_benefit_pro_rata(self, registry: PackRegistry) -> None:
        line = line_for(
            "no/ice",
            commitment_start=date(2026, 1, 10),
            commitment_end=date(2027, 1, 10),
            commitment_benefit=money("1200.00", "NOK"),
        )
        decision = evaluate(registry.get("no/ice"), line, request(), date(2026, 4, 9))
        # effective 2026-04-10: 3 of 12 months earned, 9/12 of the benefit remains
        assert decision.charges[0].amount == money("900.00", "NOK")

    def test_a_norwegian_exit_fee_is_capped_at_the_remaining_monthly_fees(
        self, registry: PackRegistry
    ) -> None:
        """EEA: no more than the lower of the pro-rata benefit and the fees left (issue 22)."""
        line = line_for(
            "no/ice",
            commitment_start=date(2026, 1, 10),
            commitment_end=date(2027, 1, 10),
            commitment_benefit=money("6000.00", "NOK"),
            monthly_fee=money("99.00", "NOK"),
        )
        decision = evaluate(registry.get("no/ice"), line, request(), date(2026, 4, 9))
        # 9/12 of 6000 is 4500; nine months of 99 are 891
        assert [(c.code, c.amount) for c in decision.charges] == [
            ("early_exit_fee", money("891.00", "NOK"))
        ]

    def test_a_commitment_of_unknown_kind_goes_to_a_person_where_fees_differ_by_kind(
        self, registry: PackRegistry
    ) -> None:
        line = line_for(
            "us/att",
            commitment_start=date(2026, 4, 20),
            commitment_end=date(2028, 4, 20),
            commitment_kind=None,
        )
        decision = evaluate(
            registry.get("us/att"), line, request(channel=Channel.web), date(2026, 11, 20)
        )
        assert "commitment_kind_unknown" in [r.code for r in decision.review_reasons]
        assert decision.charges == ()

    @pytest.mark.parametrize(
        ("balance", "bonus", "refund", "forfeit"),
        [
            ("300.00", "50.00", "250.00", "50.00"),
            ("40.00", None, "0.00", "40.00"),
            ("50.00", None, "50.00", "0.00"),
        ],
    )
    def test_telenor_prepaid_refund_on_request(
        self, registry: PackRegistry, balance: str, bonus: str | None, refund: str, forfeit: str
    ) -> None:
        line = line_for(
            "no/telenor",
            plan=Plan.prepaid,
            balance=money(balance, "NOK"),
            bonus_balance=money(bonus, "NOK") if bonus else None,
        )
        decision = evaluate(
            registry.get("no/telenor"),
            line,
            request(settlement=SettlementChoice.refund),
            date(2026, 6, 1),
        )
        assert (decision.refund, decision.forfeit) == (money(refund, "NOK"), money(forfeit, "NOK"))

    def test_us_prepaid_balance_is_forfeited(self, registry: PackRegistry) -> None:
        line = line_for("us/att", plan=Plan.prepaid, balance=money("12.00", "USD"))
        decision = evaluate(
            registry.get("us/att"),
            line,
            request(settlement=SettlementChoice.refund),
            date(2026, 6, 1),
        )
        assert decision.balance_outcome == "forfeit"
        assert decision.forfeit == money("12.00", "USD")
        assert "settlement_not_offered" in codes(decision.checklist)

    def test_russian_balance_can_move_to_another_number(self, registry: PackRegistry) -> None:
        line = line_for("ru/beeline", plan=Plan.prepaid, balance=money("150.00", "RUB"))
        decision = evaluate(
            registry.get("ru/beeline"),
            line,
            request(settlement=SettlementChoice.transfer, transfer_to_msisdn="+79161234567"),
            date(2026, 6, 1),
        )
        assert (decision.balance_outcome, decision.transfer) == ("transfer", money("150.00", "RUB"))

    def test_ice_suspension_fee(self, registry: PackRegistry) -> None:
        decision = evaluate(
            registry.get("no/ice"), line_for("no/ice"), request(RT.suspend), date(2026, 6, 1)
        )
        assert decision.charges[0].code == "suspension_fee"
        assert decision.charges[0].amount == money("99.00", "NOK")


class TestGates:
    def test_port_pending_blocks_termination(self, registry: PackRegistry) -> None:
        line = line_for("no/telenor", port_pending=True)
        decision = evaluate(registry.get("no/telenor"), line, request(), date(2026, 6, 1))
        assert decision.outcome is Outcome.block
        assert "port_pending" in codes(decision.blockers)
        assert "port_out" not in codes(decision.alternatives)

    def test_tmobile_refuses_online_cancellation(self, registry: PackRegistry) -> None:
        decision = evaluate(
            registry.get("us/tmobile"),
            line_for("us/tmobile"),
            request(channel=Channel.web),
            date(2026, 6, 1),
        )
        (blocker,) = decision.blockers
        assert blocker.code == "channel_not_allowed"
        assert blocker.params["allowed"] == ["phone", "store", "agent"]

    @pytest.mark.parametrize(
        ("region", "signed_up", "blocked"),
        [
            ("CA", "online", False),
            ("CA", "store", True),
            ("TX", "online", True),
            (None, "online", True),
        ],
    )
    def test_california_online_cancel_gate(
        self, registry: PackRegistry, region: str | None, signed_up: str, blocked: bool
    ) -> None:
        line = line_for("us/tmobile", region=region, signed_up_channel=signed_up)
        decision = evaluate(
            registry.get("us/tmobile"), line, request(channel=Channel.web), date(2026, 6, 1)
        )
        assert ("channel_not_allowed" in codes(decision.blockers)) is blocked
        if not blocked:
            assert any(
                e.path == "regulatory_gates.ca_arl_online_if_signed_up_online"
                for e in decision.evidence
            )

    def test_california_sla_uses_state_holidays(self, registry: PackRegistry) -> None:
        # 2026-03-31 is Cesar Chavez Day in California only.
        today = date(2026, 3, 30)
        ca = evaluate(registry.get("us/att"), line_for("us/att", region="CA"), request(), today)
        tx = evaluate(registry.get("us/att"), line_for("us/att", region="TX"), request(), today)
        assert (tx.sla_due_date, ca.sla_due_date) == (date(2026, 4, 2), date(2026, 4, 3))

    def test_russian_min_topup_age_blocks(self, tmp_path: Path) -> None:
        (tmp_path / "ru").mkdir()
        (tmp_path / "ru" / "mts_min30.yaml").write_text(
            "pack: {id: ru/mts-min30, kind: operator, extends: [ru/mts], country: RU,"
            " operator: {legal_name: Test}}\n"
            "prepaid:\n  min_days_since_last_topup: {value: 30, status: S, src: [ru_rules]}\n",
            encoding="utf-8",
        )
        pack = load_registry([tmp_path]).get("ru/mts-min30")
        today = date(2026, 6, 10)
        line = line_for("ru/mts", plan=Plan.prepaid, last_topup_on=date(2026, 6, 7))
        decision = evaluate(pack, line, request(channel=Channel.store), today)
        (blocker,) = decision.blockers
        assert (blocker.code, blocker.params["days"], blocker.params["minimum"]) == (
            "min_topup_age",
            3,
            30,
        )
        assert blocker.params["allowed_from"] == "2026-07-07"
        old_topup = line_for("ru/mts", plan=Plan.prepaid, last_topup_on=date(2026, 5, 1))
        assert not evaluate(pack, old_topup, request(channel=Channel.store), today).blockers

    def test_unpaid_bills_block_in_russia_but_not_a_norwegian_port(
        self, registry: PackRegistry
    ) -> None:
        ru_line = line_for("ru/mts", unpaid_bills=money("500.00", "RUB"))
        no_line = line_for("no/telenor", unpaid_bills=money("500.00", "NOK"))
        ru = evaluate(registry.get("ru/mts"), ru_line, request(), date(2026, 6, 1))
        ru_port = evaluate(
            registry.get("ru/mts"),
            ru_line,
            request(RT.port_out, Channel.port_in_operator),
            date(2026, 6, 1),
        )
        no_port = evaluate(
            registry.get("no/telenor"),
            no_line,
            request(RT.port_out, Channel.port_in_operator),
            date(2026, 6, 1),
        )
        assert "unpaid_bills" in codes(ru.blockers)
        assert "unpaid_bills" in codes(ru_port.blockers)
        assert not no_port.blockers
        assert "settle_unpaid_bills" in codes(no_port.checklist)

    @pytest.mark.parametrize(
        ("overrides", "until", "expected"),
        [
            ({"suspensions_this_year": 2}, None, "suspension_limit_reached"),
            # "at most twice per number": earlier years count too (`counted_per: number`).
            ({"suspensions_total": 2}, None, "suspension_limit_reached"),
            ({}, date(2027, 1, 1), "suspension_too_long"),
            ({"commitment_end": date(2027, 1, 1)}, None, "suspension_not_during_commitment"),
            ({"status": LineStatus.suspended}, None, "line_status_not_allowed"),
        ],
    )
    def test_ice_suspension_limits(
        self,
        registry: PackRegistry,
        overrides: dict[str, object],
        until: date | None,
        expected: str,
    ) -> None:
        line = line_for("no/ice", **overrides)
        decision = evaluate(
            registry.get("no/ice"), line, request(RT.suspend, suspend_until=until), date(2026, 6, 1)
        )
        assert codes(decision.blockers) == [expected]

    def test_a_yearly_limit_forgets_earlier_years(self, registry: PackRegistry) -> None:
        """Telenor counts per calendar year: five suspensions in earlier years do not block."""
        pack = registry.get("no/telenor")
        assert pack.document.suspension.counted_per.value == "calendar_year"
        line = line_for("no/telenor", suspensions_total=5, suspensions_this_year=0)
        decision = evaluate(
            pack, line, request(RT.suspend, suspend_until=date(2026, 7, 1)), date(2026, 6, 1)
        )
        assert "suspension_limit_reached" not in codes(decision.blockers)

    def test_ice_suspension_within_limits_is_approved(self, registry: PackRegistry) -> None:
        line = line_for("no/ice", suspensions_this_year=1)
        decision = evaluate(
            registry.get("no/ice"),
            line,
            request(RT.suspend, suspend_until=date(2026, 9, 1)),
            date(2026, 6, 1),
        )
        assert decision.outcome is Outcome.approve

    @pytest.mark.parametrize(
        ("terminated_on", "blocked"), [(date(2026, 1, 1), True), (date(2026, 3, 15), False)]
    )
    def test_verizon_prepaid_reactivation_window(
        self, registry: PackRegistry, terminated_on: date, blocked: bool
    ) -> None:
        # Verizon's 60 days are a prepaid renewal (inactivity) rule, not a window after
        # termination: a terminated prepaid line has the US 30-day window (unverified).
        line = line_for(
            "us/verizon",
            plan=Plan.prepaid,
            status=LineStatus.terminated,
            terminated_on=terminated_on,
        )
        decision = evaluate(
            registry.get("us/verizon"), line, request(RT.reactivate), date(2026, 4, 1)
        )
        assert ("reactivation_window_over" in codes(decision.blockers)) is blocked
        assert decision.reactivation_deadline == terminated_on + timedelta(days=30)

    def test_reactivation_not_offered_in_norway(self, registry: PackRegistry) -> None:
        line = line_for("no/telenor", status=LineStatus.terminated, terminated_on=date(2026, 5, 1))
        decision = evaluate(
            registry.get("no/telenor"), line, request(RT.reactivate), date(2026, 5, 2)
        )
        assert codes(decision.blockers) == ["reactivation_not_offered"]

    @pytest.mark.parametrize(("sims", "blocked"), [(20, True), (19, False)])
    def test_russian_sim_limit_blocks_reactivation(
        self, registry: PackRegistry, sims: int, blocked: bool
    ) -> None:
        line = line_for(
            "ru/beeline",
            status=LineStatus.terminated,
            terminated_on=date(2026, 5, 1),
            subscriber_sim_count=sims,
        )
        decision = evaluate(
            registry.get("ru/beeline"), line, request(RT.reactivate), date(2026, 5, 10)
        )
        assert ("sim_limit_reached" in codes(decision.blockers)) is blocked

    def test_russian_excess_sims_are_listed_when_terminating(self, registry: PackRegistry) -> None:
        line = line_for("ru/t2", subscriber_sim_count=23)
        decision = evaluate(registry.get("ru/t2"), line, request(), date(2026, 5, 10))
        assert {"count": 23, "limit": 20, "gate": "ru_sim_limit_citizen_20"} in [
            f.params for f in decision.checklist if f.code == "cancel_excess_sims"
        ]


class TestReviewAndEvidence:
    def test_unverified_rule_sends_russian_case_to_review_in_strict_mode(
        self, registry: PackRegistry
    ) -> None:
        pack, line = registry.get("ru/mts"), line_for("ru/mts")
        strict = evaluate(pack, line, request(), date(2026, 6, 1))
        lenient = evaluate(pack, line, request(), date(2026, 6, 1), strict=False)
        (finding,) = strict.review_reasons
        assert finding.code == "unverified_policy_value"
        assert "cancellation.notice.effective_rule" in finding.params["paths"]
        assert (strict.outcome, lenient.outcome) == (Outcome.review, Outcome.approve)

    def test_manual_review_mode(self, tmp_path: Path) -> None:
        (tmp_path / "manual.yaml").write_text(
            "pack: {id: no/manual, kind: operator, extends: [no/telenor], country: 'NO',"
            " operator: {legal_name: Test}}\nreview: {mode: manual}\n",
            encoding="utf-8",
        )
        pack = load_registry([tmp_path]).get("no/manual")
        decision = evaluate(pack, line_for("no/telenor"), request(), date(2026, 6, 1))
        assert codes(decision.review_reasons) == ["manual_review_policy"]
        assert decision.outcome is Outcome.review

    def test_evidence_names_the_deciding_rules(self, registry: PackRegistry) -> None:
        decision = evaluate(
            registry.get("no/telenor"), line_for("no/telenor"), request(), date(2026, 12, 17)
        )
        rule = next(e for e in decision.evidence if e.path == "cancellation.notice.effective_rule")
        assert (rule.status.value, rule.sources) == ("S", ("ca_telenor",))
        assert decision.pack_id == "no/telenor"
        assert decision.pack_reviewed == date(2026, 11, 22)

    def test_identity_methods_follow_the_channel(self, registry: PackRegistry) -> None:
        pack = registry.get("no/telenor")
        chat = evaluate(
            pack, line_for("no/telenor"), request(channel=Channel.chat), date(2026, 6, 1)
        )
        phone = evaluate(
            pack, line_for("no/telenor"), request(channel=Channel.phone), date(2026, 6, 1)
        )
        assert chat.identity_methods == ("bankid",)
        assert phone.identity_methods == ("account_pin", "sms_otp")

    def test_quarantine_and_sla(self, registry: PackRegistry) -> None:
        decision = evaluate(
            registry.get("us/att"), line_for("us/att"), request(), date(2026, 11, 20)
        )
        assert decision.effective_date == date(2026, 11, 30)
        assert decision.quarantine_until == date(2027, 1, 14)  # 45 days of aging
        assert decision.sla_due_date == date(2026, 11, 25)  # 3 business days


class TestChecklistAndAlternatives:
    def test_personal_checklist(self, registry: PackRegistry) -> None:
        line = line_for(
            "no/telenor",
            linked_services=("bankid", "autopay_card", "third_party_billing", "two_factor"),
            unpaid_bills=money("99.00", "NOK"),
            purchase_channel="reseller",
        )
        decision = evaluate(registry.get("no/telenor"), line, request(), date(2026, 6, 1))
        assert codes(decision.checklist) == [
            "backup_sim_contacts",
            "move_two_factor",
            "unbind_autopay",
            "cancel_third_party_billing",
            "keep_id_and_purchase_proof",
            "settle_unpaid_bills",
        ]
        assert decision.checklist[1].params == {"services": ["bankid", "two_factor"]}
        assert decision.checklist[5].params["amount"] == {
            "amount": "99.00",
            "currency": "NOK",
            "minor": 9900,
        }

    def test_esim_checklist_and_alternatives(self, registry: PackRegistry) -> None:
        line = line_for(
            "no/ice", kind=LineKind.esim, plan=Plan.prepaid, balance=money("100.00", "NOK")
        )
        decision = evaluate(registry.get("no/ice"), line, request(), date(2026, 6, 1))
        assert "esim_delete_after_completion" in codes(decision.checklist)
        assert "backup_sim_contacts" not in codes(decision.checklist)
        choose = next(f for f in decision.checklist if f.code == "choose_balance_outcome")
        assert choose.params == {"options": ["refund", "forfeit"], "default": "refund"}
        assert [(a.code, a.params.get("max_days")) for a in decision.alternatives] == [
            ("port_out", None),
            ("suspend", 182),
        ]
        assert decision.sim_return_required is False

    def test_a_data_card_gets_its_own_backup_step(self, registry: PackRegistry) -> None:
        line = line_for("no/ice", kind=LineKind.data_only)
        decision = evaluate(registry.get("no/ice"), line, request(), date(2026, 6, 1))
        assert "backup_data_card" in codes(decision.checklist)
        assert "backup_sim_contacts" not in codes(decision.checklist)
