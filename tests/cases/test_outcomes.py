"""The outcomes summary: counts by reason, channel, product and week, decision times, blockers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from simexit.cases.outcomes import OutcomeFact, decision_bucket, iso_week, summarize

MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _fact(**changes: object) -> OutcomeFact:
    values: dict[str, object] = {
        "type": "terminate",
        "status": "approved",
        "reason_code": "moving_abroad",
        "channel": "web",
        "product": "Prepaid",
        "created_at": MONDAY,
        "submitted_at": MONDAY,
        "decided_at": MONDAY + timedelta(minutes=30),
        "blocker_codes": (),
    }
    values.update(changes)
    return OutcomeFact(**values)  # type: ignore[arg-type]


class TestSummarize:
    def test_counts_cancellations_by_reason_channel_product_and_week(self) -> None:
        facts = [
            _fact(),
            _fact(reason_code=None, channel="phone"),
            _fact(
                reason_code="coverage",
                product="Monthly 10 GB",
                created_at=MONDAY - timedelta(days=7),
            ),
            _fact(type="suspend", reason_code="coverage"),  # not a cancellation
        ]
        o = summarize(facts, timezone="Europe/Oslo")
        assert o.cancellations == 3
        assert {(b.code, b.count) for b in o.by_reason} == {
            ("moving_abroad", 1),
            ("none", 1),
            ("coverage", 1),
        }
        assert [(b.code, b.count) for b in o.by_channel] == [("web", 2), ("phone", 1)]
        assert [(b.code, b.count) for b in o.by_product] == [("Prepaid", 2), ("Monthly 10 GB", 1)]
        assert [(b.code, b.count) for b in o.by_week] == [("2026-W48", 1), ("2026-W49", 2)]
        assert abs(o.by_channel[0].share - 2 / 3) < 1e-9

    def test_decision_times_fall_in_buckets_and_undecided_cases_are_left_out(self) -> None:
        facts = [
            _fact(),
            _fact(decided_at=MONDAY + timedelta(hours=5)),
            _fact(decided_at=MONDAY + timedelta(days=10)),
            _fact(decided_at=None),
            _fact(submitted_at=None, decided_at=None),
        ]
        o = summarize(facts, timezone="UTC")
        assert [(b.code, b.count) for b in o.time_to_decision] == [
            ("under_1h", 1),
            ("under_1d", 1),
            ("under_3d", 0),
            ("under_7d", 0),
            ("over_7d", 1),
        ]
        assert o.submitted == 4

    def test_blocked_share_is_of_all_submitted_requests(self) -> None:
        facts = [
            _fact(blocker_codes=("unpaid_bills", "unpaid_bills")),
            _fact(blocker_codes=("unpaid_bills", "port_pending")),
            _fact(),
            _fact(),
        ]
        o = summarize(facts, timezone="UTC")
        shares = {b.code: (b.count, b.share) for b in o.blocked_by_blocker}
        assert shares == {"unpaid_bills": (2, 0.5), "port_pending": (1, 0.25)}

    def test_nothing_gives_empty_charts(self) -> None:
        o = summarize([], timezone="UTC")
        assert o.cancellations == 0
        assert o.by_reason == ()
        assert all(b.count == 0 and b.share == 0 for b in o.time_to_decision)


def test_buckets_and_weeks_at_their_edges() -> None:
    assert decision_bucket(timedelta(minutes=59)) == "under_1h"
    assert decision_bucket(timedelta(hours=1)) == "under_1d"
    assert decision_bucket(timedelta(days=7)) == "over_7d"
    # Sunday 23:30 UTC is already Monday in Moscow: the next ISO week there.
    sunday = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert iso_week(sunday, ZoneInfo("UTC")) == "2026-W48"
    assert iso_week(sunday, ZoneInfo("Europe/Moscow")) == "2026-W49"
