"""What a campaign selects, what it does, which lines it leaves alone and why, and how far it
has got. Pure: plain values in, decisions out; the repository turns a `Selection` into SQL and
the service applies the decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from simexit.lines.states import LineStatus, SuspensionFlag


class Action(StrEnum):
    terminate = "terminate"  # a termination case per line, under the pack's notice
    suspend = "suspend"  # one suspension flag set (regulatory unless told otherwise)
    resume = "resume"  # that flag cleared again
    notify = "notify"  # a message only; nothing about the line changes


class Outcome(StrEnum):
    pending = "pending"
    done = "done"
    skipped = "skipped"
    failed = "failed"
    aborted = "aborted"  # the campaign was aborted before the line's turn


# Why a line is left alone (the `reason` of a skipped line, and the dry run's blocked counts).
PORT_PENDING = "port_pending"
OPEN_CASE = "open_case"
DEBT = "debt"
LINE_STATUS = "line_status"
ALREADY_SUSPENDED = "already_suspended"
NOT_SUSPENDED = "not_suspended"

_ENDED = frozenset({LineStatus.terminated, LineStatus.number_released})
_LIVE = frozenset({LineStatus.active, LineStatus.suspended, LineStatus.pending_termination})
_SUSPENDABLE = frozenset({LineStatus.active, LineStatus.suspended})


@dataclass(frozen=True, slots=True)
class Selection:
    """Which of the operator's lines. Every criterion given must hold (AND); none: all lines."""

    brand: str | None = None
    product: str | None = None
    statuses: tuple[str, ...] = ()
    kind: str | None = None
    plan: str | None = None
    last_topup_before: date | None = None
    last_activity_before: date | None = None
    # Lines of subscribers who hold more than this many live lines (a SIM-count limit).
    sims_over: int | None = None
    # Only each subscriber's lines after their first N live ones (by activation date): the
    # lines that exceed a SIM-count limit.
    beyond_first: int | None = None
    zero_balance: bool = False  # only lines whose balance (bonus included) is nothing
    msisdns: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "product": self.product,
            "statuses": list(self.statuses),
            "kind": self.kind,
            "plan": self.plan,
            "last_topup_before": _iso(self.last_topup_before),
            "last_activity_before": _iso(self.last_activity_before),
            "sims_over": self.sims_over,
            "beyond_first": self.beyond_first,
            "zero_balance": self.zero_balance,
            "msisdns": list(self.msisdns),
        }

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Selection:
        return cls(
            brand=stored.get("brand"),
            product=stored.get("product"),
            statuses=tuple(stored.get("statuses") or ()),
            kind=stored.get("kind"),
            plan=stored.get("plan"),
            last_topup_before=_date(stored.get("last_topup_before")),
            last_activity_before=_date(stored.get("last_activity_before")),
            sims_over=stored.get("sims_over"),
            beyond_first=stored.get("beyond_first"),
            zero_balance=bool(stored.get("zero_balance")),
            msisdns=tuple(stored.get("msisdns") or ()),
        )


@dataclass(frozen=True, slots=True)
class LineState:
    """What the skip rules read of a line."""

    status: LineStatus
    flags: frozenset[str]
    port_pending: bool
    open_case: bool
    unpaid_bills_minor: int


def skip_reason(action: Action, line: LineState, *, flag: SuspensionFlag) -> str | None:
    """Why a campaign leaves this line alone, or None when it acts on it. The same rule for the
    dry run and the run, so the dry run's counts are the run's."""
    if line.port_pending:
        return PORT_PENDING  # the port ends the line; acting on it now would lose the number
    if line.open_case:
        return OPEN_CASE  # a request of the subscriber's is under way: it is theirs to finish
    if action is Action.terminate:
        if line.status in _ENDED or line.status is LineStatus.pending_termination:
            return LINE_STATUS
        if line.unpaid_bills_minor > 0:
            return DEBT  # collections first: a bulk closure does not write off a debt
        return None
    if action is Action.suspend:
        if line.status not in _SUSPENDABLE:
            return LINE_STATUS
        return ALREADY_SUSPENDED if flag.value in line.flags else None
    if action is Action.resume:
        if line.status not in _SUSPENDABLE:
            return LINE_STATUS
        return None if flag.value in line.flags else NOT_SUSPENDED
    return None if line.status in _LIVE else LINE_STATUS


@dataclass(frozen=True, slots=True)
class Progress:
    counts: dict[str, int]
    total: int
    rate_per_second: float | None
    eta_seconds: int | None

    @property
    def finished(self) -> int:
        return self.total - self.counts.get(Outcome.pending.value, 0)


def progress(counts: Mapping[str, int], *, started_at: datetime | None, now: datetime) -> Progress:
    """Counts by outcome, lines a second since the start, and the time left at that rate."""
    total = sum(counts.values())
    pending = counts.get(Outcome.pending.value, 0)
    finished = total - pending - counts.get(Outcome.aborted.value, 0)
    elapsed = (now - started_at).total_seconds() if started_at is not None else 0.0
    rate = finished / elapsed if elapsed > 0 and finished > 0 else None
    eta = int(pending / rate) if rate else (0 if pending == 0 and total else None)
    return Progress(dict(counts), total, rate, eta)


@dataclass(slots=True)
class DryRun:
    """What a run would do now: lines selected, acted on, blocked by reason, money by currency
    (for a termination: refunds owed and fees due, from the policy evaluation of each line up
    to `evaluated`), and a sample of the lines acted on."""

    selected: int = 0
    acted: int = 0
    blocked: dict[str, int] = field(default_factory=dict)
    refunds_minor: dict[str, int] = field(default_factory=dict)
    fees_minor: dict[str, int] = field(default_factory=dict)
    policy_blocked: dict[str, int] = field(default_factory=dict)
    evaluated: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)

    def count(self, reason: str | None) -> None:
        self.selected += 1
        if reason is None:
            self.acted += 1
        else:
            self.blocked[reason] = self.blocked.get(reason, 0) + 1

    def add_money(self, currency: str, *, refund: int, fee: int) -> None:
        self.refunds_minor[currency] = self.refunds_minor.get(currency, 0) + refund
        self.fees_minor[currency] = self.fees_minor.get(currency, 0) + fee

    def as_dict(self) -> dict[str, Any]:
        return {
            "selected": self.selected,
            "acted": self.acted,
            "blocked": dict(sorted(self.blocked.items())),
            "refunds_minor": self.refunds_minor,
            "fees_minor": self.fees_minor,
            "policy_blocked": self.policy_blocked,
            "evaluated": self.evaluated,
            "sample": self.sample,
        }


def start_delay(start_at: datetime | None, now: datetime) -> timedelta:
    return max(start_at - now, timedelta(0)) if start_at is not None else timedelta(0)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None
