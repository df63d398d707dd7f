"""Finance's two questions: what moved in a period (the entries as CSV), and does it all add up
(the trial balance). Read-only; session first."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from simexit.kit.money import Money
from simexit.kit.problems import FieldProblem, invalid
from simexit.ledger import repository
from simexit.ledger.rules import CSV_COLUMNS, Problem, misplaced_payout, unbalanced_case

MAX_PERIOD_DAYS = 366 * 5


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """[start, end] as whole UTC days: the entries created from the first day's start to the last
    day's end. A bad period names `query.to`, as the API takes it (the CLI says `--to`)."""
    if end < start:
        raise invalid([FieldProblem("to", "date_order", "must not be before from")], prefix="query")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise invalid(
            [FieldProblem("to", "date_range", "the period is at most five years")], prefix="query"
        )
    first = datetime.combine(start, time.min, tzinfo=UTC)
    after = datetime.combine(date.fromordinal(end.toordinal() + 1), time.min, tzinfo=UTC)
    return first, after


def csv_lines(
    session: Session, operator_id: uuid.UUID, start: datetime, end: datetime
) -> Iterator[str]:
    """The header, then one line per entry: the amount with the currency's decimals, and in minor
    units, so a spreadsheet and a program read the same number."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values: tuple[object, ...]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for entry, reference in repository.entries(session, operator_id, start, end):
        yield line(
            (
                entry.created_at.astimezone(UTC).isoformat(),
                reference,
                entry.case_id,
                entry.kind,
                entry.account,
                Money(entry.amount_minor, entry.currency).as_str(),
                entry.amount_minor,
                entry.currency,
                entry.id,
            )
        )


@dataclass
class TrialBalance:
    cases: int = 0
    payouts: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.problems


def check(session: Session, operator_id: uuid.UUID | None = None) -> TrialBalance:
    """Every case balanced per currency; every payout's money where its status says and of the
    amount its case owed."""
    result = TrialBalance(cases=repository.case_count(session, operator_id))
    for reference, currency, total in repository.unbalanced_cases(session, operator_id):
        problem = unbalanced_case(reference, currency, int(total))
        if problem is not None:
            result.problems.append(problem)
    for payout in repository.payouts_with_accounts(session, operator_id):
        result.payouts += 1
        result.problems.extend(
            misplaced_payout(
                payout.reference,
                payout.status,
                payout.amount_minor,
                payout.due_minor,
                payout.in_transit_minor,
                payout.refunded_minor,
            )
        )
    return result
