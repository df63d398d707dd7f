"""From a row of the file to the subscriber and line it sets, by the provisioning field rules.

The file's columns are the public field names (`simexit.provisioning.rules`): the line's own,
`subscriber_external_id`, and the subscriber's prefixed `subscriber_`. A column the file has
sets that field on every row; one it lacks is left as stored (on a new line: its default). In
a CSV an empty cell clears the field, as `null` does in JSON Lines; a JSON Lines row without a
key leaves that field alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

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


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each column of a row goes: the rows of one file mostly share their keys."""

    line_fields: tuple[str, ...]
    subscriber_fields: tuple[tuple[str, str], ...]  # (column of the file, subscriber field)
    line_updates: tuple[str, ...]
    subscriber_updates: tuple[str, ...]


CheckResult = CheckedRow | list[Rejection]


class RowChecker:
    """Picklable (operator facts, format and day), so rows can be checked in another process."""

    def __init__(self, operator: OperatorFacts, *, fmt: FileFormat, today: date) -> None:
        self.operator = operator
        self.format = fmt
        self.today = today
        self._layouts: dict[tuple[str, ...], _Layout] = {}

    def __getstate__(self) -> dict[str, object]:
        return {"operator": self.operator, "format": self.format, "today": self.today}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.operator, self.format, self.today = state["operator"], state["format"], state["today"]
        self._layouts = {}

    def check(self, row: SourceRow) -> CheckResult:
        if row.unreadable is not None:
            return [_unreadable(row)]
        values = row.values
        if self.format is FileFormat.csv:
            # An empty cell clears its field (None), as null does in JSON Lines.
            cells = cast(dict[str, str], values)  # a CSV row holds strings only
            values = {name: cell if cell.strip() else None for name, cell in cells.items()}
        layout = self._layout(tuple(values))
        external_id = _text(values.get("external_id"))
        owner = _text(values.get(SUBSCRIBER_LINK_COLUMN))
        line, problems = check_line(
            {name: values[name] for name in layout.line_fields}, self.operator, today=self.today
        )
        if not external_id or not owner:
            problems = [*_required_ids(external_id, owner), *problems]
        subscriber: dict[str, object] | None = None
        if layout.subscriber_fields:
            subscriber, refused = check_subscriber(
                {field: values[column] for column, field in layout.subscriber_fields},
                self.operator,
                today=self.today,
            )
            if refused:
                problems = [*problems, *(_prefixed(problem) for problem in refused)]
            subscriber["external_id"] = owner
        if problems:
            return [_rejection(row.number, external_id, problem) for problem in problems]
        line[SUBSCRIBER_LINK_COLUMN] = owner
        return CheckedRow(
            number=row.number,
            external_id=external_id,
            line=line,
            line_updates=layout.line_updates,
            subscriber=subscriber,
            subscriber_updates=layout.subscriber_updates,
        )

    def _layout(self, keys: tuple[str, ...]) -> _Layout:
        found = self._layouts.get(keys)
        if found is None:
            line_fields = tuple(name for name in keys if name in _LINE_FIELD_SET)
            subscriber_fields = tuple(
                (name, name.removeprefix(SUBSCRIBER_PREFIX))
                for name in keys
                if name.startswith(SUBSCRIBER_PREFIX) and name != SUBSCRIBER_LINK_COLUMN
            )
            found = _Layout(
                line_fields=line_fields,
                subscriber_fields=subscriber_fields,
                line_updates=_columns(line_fields, LINE_COLUMNS),
                subscriber_updates=_columns(
                    (field for _, field in subscriber_fields), SUBSCRIBER_COLUMNS
                ),
            )
            if len(self._layouts) < 64:  # JSON Lines rows may each differ: keep a few
                self._layouts[keys] = found
        return found


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


def _columns(given: Iterable[str], columns: Mapping[str, str]) -> tuple[str, ...]:
    """The stored columns an existing row takes from these fields (never its own id)."""
    return tuple(columns[name] for name in given if name != "external_id" and name in columns)


def _rejection(number: int, external_id: str, problem: FieldProblem) -> Rejection:
    return Rejection(number, problem.field, problem.rule, problem.detail, external_id)


def _unreadable(row: SourceRow) -> Rejection:
    rule = row.unreadable or "unreadable"
    if rule.startswith("unknown_field:"):
        field = rule.partition(":")[2]
        return Rejection(row.number, field, "unknown_field", "is not an import column")
    return Rejection(row.number, "row", rule, UNREADABLE.get(rule, "the row cannot be read"))
