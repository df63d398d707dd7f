"""Strict mode: a case sent to review names each unverified rule, why it is unverified (the
pack's note) and its sources with title and address, in the decision the API and console show."""

from __future__ import annotations

from datetime import date

from simexit.policies.engine import evaluate
from simexit.policies.loader import PackRegistry
from simexit.policies.model import Channel, Outcome, RequestType
from tests.policies.policy_factories import line_for, request


def test_unverified_rule_is_named_with_its_note(registry: PackRegistry) -> None:
    pack = registry.get("ru/mts")
    decision = evaluate(pack, line_for("ru/mts"), request(), date(2026, 6, 1), strict=True)
    assert decision.outcome is Outcome.review
    reason = next(f for f in decision.review_reasons if f.code == "unverified_policy_value")
    rules = {rule["path"]: rule for rule in reason.params["rules"]}
    assert set(rules) == set(reason.params["paths"])
    notice = rules["cancellation.notice.effective_rule"]
    assert notice["status"] == "U"
    assert "services rendered" in notice["note"]


def test_unverified_rule_with_a_source_names_its_address(registry: PackRegistry) -> None:
    # By phone, MTS's channel list (unverified, citing MTS's own page) decides the request.
    pack = registry.get("ru/mts")
    asked = request(channel=Channel.phone)
    decision = evaluate(pack, line_for("ru/mts"), asked, date(2026, 6, 1), strict=True)
    reason = next(f for f in decision.review_reasons if f.code == "unverified_policy_value")
    cited = [rule for rule in reason.params["rules"] if rule["sources"]]
    assert cited, "the MTS channels (U) cite the MTS page"
    for rule in cited:
        assert all(source["url"].startswith("https://") for source in rule["sources"])
        assert all(source["title"] for source in rule["sources"])


def test_port_date_beyond_the_maximum_lead_is_blocked(registry: PackRegistry) -> None:
    """Russia: a transfer no later than six months (180 days) after the application."""
    pack, today = registry.get("ru/mts"), date(2026, 6, 1)
    late = request(RequestType.port_out, requested_date=date(2026, 12, 15))
    decision = evaluate(pack, line_for("ru/mts"), late, today, strict=False)
    blocker = next(f for f in decision.blockers if f.code == "port_date_too_late")
    assert blocker.params == {"latest": "2026-11-28"}
    in_time = request(RequestType.port_out, requested_date=date(2026, 11, 28))
    decision = evaluate(pack, line_for("ru/mts"), in_time, today, strict=False)
    assert "port_date_too_late" not in [f.code for f in decision.blockers]
