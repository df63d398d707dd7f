"""Reasons and outcomes at a glance: counts of an operator's cases by reason, channel, product
and week, the time to a decision, and the share held up by each blocker. Pure: the facts are
plain values read by the repository, the operator's time zone is a name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

NO_REASON = "none"
# Time from submission to the decision, in buckets an operator reads at a glance.
DECISION_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("under_1h", timedelta(hours=1)),
    ("under_1d", timedelta(days=1)),
    ("under_3d", timedelta(days=3)),
    ("under_7d", timedelta(days=7)),
)
OVER_7D = "over_7d"


@dataclass(frozen=True, slots=True)
class OutcomeFact:
    """One case as the summary needs it."""

    type: str
    status: str
    reason_code: str | None
    channel: str
    product: str
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    blocker_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Bar:
    code: str
    count: int
    share: float  # of the chart's total, 0..1


@dataclass(frozen=True, slots=True)
class Outcomes:
    cancellations: int
    submitted: int
    by_reason: tuple[Bar, ...]
    by_channel: tuple[Bar, ...]
    by_product: tuple[Bar, ...]
    by_week: tuple[Bar, ...]  # oldest week first
    time_to_decision: tuple[Bar, ...]  # fastest bucket first
    blocked_by_blocker: tuple[Bar, ...]  # share of all submitted cases held up by each
    # Retention offers taken instead of a cancellation, by offer code (`retention`).
    offers_accepted: tuple[Bar, ...] = ()


def _bars(counts: Counter[str], total: int, order: Iterable[str] | None = None) -> tuple[Bar, ...]:
    codes = list(order) if order is not None else [c for c, _ in counts.most_common()]
    return tuple(Bar(c, counts[c], counts[c] / total if total else 0.0) for c in codes)


def offer_bars(counts: dict[str, int]) -> tuple[Bar, ...]:
    """Accepted retention offers per offer code, most taken first."""
    return _bars(Counter(counts), sum(counts.values()))


def decision_bucket(waited: timedelta) -> str:
    for code, limit in DECISION_BUCKETS:
        if waited < limit:
            return code
    return OVER_7D


def iso_week(at: datetime, zone: ZoneInfo) -> str:
    year, week, _ = at.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def summarize(facts: Iterable[OutcomeFact], *, timezone: str) -> Outcomes:
    zone = ZoneInfo(timezone)
    reasons: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    products: Counter[str] = Counter()
    weeks: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    blockers: Counter[str] = Counter()
    cancellations = submitted = decided = 0
    for fact in facts:
        if fact.type == "terminate":
            cancellations += 1
            reasons[fact.reason_code or NO_REASON] += 1
            channels[fact.channel] += 1
            products[fact.product] += 1
            weeks[iso_week(fact.created_at, zone)] += 1
        if fact.submitted_at is None:
            continue
        submitted += 1
        for code in dict.fromkeys(fact.blocker_codes):
            blockers[code] += 1
        if fact.decided_at is not None and fact.decided_at >= fact.submitted_at:
            decided += 1
            decisions[decision_bucket(fact.decided_at - fact.submitted_at)] += 1
    return Outcomes(
        cancellations=cancellations,
        submitted=submitted,
        by_reason=_bars(reasons, cancellations),
        by_channel=_bars(channels, cancellations),
        by_product=_bars(products, cancellations),
        by_week=_bars(weeks, cancellations, sorted(weeks)),
        time_to_decision=_bars(decisions, decided, [c for c, _ in DECISION_BUCKETS] + [OVER_7D]),
        blocked_by_blocker=_bars(blockers, submitted),
    )
