"""From a row of the file to the subscriber and line it sets, by the provisioning field rules.

The file's columns are the public field names (`simexit.provisioning.rules`): the line's own,
`subscriber_external_id`, and the subscriber's prefixed `subscriber_`. A column the file has
sets that field on every row; one it lacks is left as stored (on a new line: its default). In
a CSV an empty cell clears the field, as `null` does in JSON Lines; a JSON Lines row without a
key leaves that field alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from simexit.imports.reader import FileFormat, SourceRow
from simexit.imports.rules import Rejection
from simexit.provisioning.rules import (
    IMPORT_COLUMNS,
    LINE_COLUMNS,
    PUBLIC_LINE_FIELDS,
    SUBSCRIBER_COLUMNS,
    SUBSCRIBER_LINK_COLUMN,
    SUBSCRIBER_PREFIX,
    FieldProblem,
    OperatorFacts,
    check_line,
    check_subscriber,
)

KNOWN_COLUMNS = frozenset(IMPORT_COLUMNS)
_LINE_FIELD_SET = frozenset(PUBLIC_LINE_FIELDS)
# Why a row could not be read at all, by the rule `SourceRow.unreadable` names.
UNREADABLE = {
    "column_count": "the row has more or fewer cells than the header has columns",
    "csv_syntax": "the row is not valid CSV (a quote is not closed or is misplaced)",
    "utf8": "the row is not UTF-8 text",
    "json_syntax": "the line is not valid JSON",
    "json_object": "the line is JSON but not an object",
}


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A row that passed the field rules. `line` and `subscriber` are keyed by column, with
    everything a new row needs; `*_updates` are the columns an existing row takes from it."""

    number: int
    external_id: str
    line: dict[str, object]
    line_updates: tuple[str, ...]
    subscriber: dict[str, object] | None
    subscriber_updates: tuple[str, ...]


class RowChecker:
    def __init__(self, operator: OperatorFacts, *, fmt: FileFormat, today: date) -> None:
        self.operator = operator
        self.format = fmt
        self.today = today

    def check(self, row: SourceRow) -> CheckedRow | list[Rejection]:
        if row.unreadable is not None:
            return [_unreadable(row)]
        values = row.values
        if self.format is FileFormat.csv:
            values = {name: (None if _blank(cell) else cell) for name, cell in values.items()}
        line_values = {name: v for name, v in values.items() if name in _LINE_FIELD_SET}
        external_id = _text(values.get("external_id"))
        owner = _text(values.get(SUBSCRIBER_LINK_COLUMN))
        line, problems = check_line(line_values, self.operator, today=self.today)
        problems = [*_required_ids(external_id, owner), *problems]
        subscriber_values = {
            name.removeprefix(SUBSCRIBER_PREFIX): value
            for name, value in values.items()
            if name.startswith(SUBSCRIBER_PREFIX) and name != SUBSCRIBER_LINK_COLUMN
        }
        subscriber: dict[str, object] | None = None
        if subscriber_values:
            subscriber, refused = check_subscriber(
                subscriber_values, self.operator, today=self.today
            )
            problems += [_prefixed(problem) for problem in refused]
            subscriber["external_id"] = owner
        if problems:
            return [_rejection(row.number, external_id, problem) for problem in problems]
        line[SUBSCRIBER_LINK_COLUMN] = owner
        return CheckedRow(
            number=row.number,
            external_id=external_id,
            line=line,
            line_updates=_columns(line_values, LINE_COLUMNS, exclude="external_id"),
            subscriber=subscriber,
            subscriber_updates=_columns(
                subscriber_values, SUBSCRIBER_COLUMNS, exclude="external_id"
            )
            if subscriber is not None
            else (),
        )


def _blank(cell: object) -> bool:
    return isinstance(cell, str) and cell.strip() == ""


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _required_ids(external_id: str, owner: str) -> list[FieldProblem]:
    problems = []
    if not external_id:
        problems.append(
            FieldProblem("external_id", "required", "is required: the line's id in your BSS")
        )
    if not owner:
        problems.append(
            FieldProblem(
                SUBSCRIBER_LINK_COLUMN, "required", "is required: the subscriber's id in your BSS"
            )
        )
    return problems


def _prefixed(problem: FieldProblem) -> FieldProblem:
    return FieldProblem(SUBSCRIBER_PREFIX + problem.field, problem.rule, problem.detail)


def _columns(
    given: Mapping[str, object], columns: Mapping[str, str], *, exclude: str
) -> tuple[str, ...]:
    return tuple(columns[name] for name in given if name != exclude and name in columns)


def _rejection(number: int, external_id: str, problem: FieldProblem) -> Rejection:
    return Rejection(number, problem.field, problem.rule, problem.detail, external_id)


def _unreadable(row: SourceRow) -> Rejection:
    rule = row.unreadable or "unreadable"
    if rule.startswith("unknown_field:"):
        field = rule.partition(":")[2]
        return Rejection(row.number, field, "unknown_field", "is not an import column")
    return Rejection(row.number, "row", rule, UNREADABLE.get(rule, "the row cannot be read"))
