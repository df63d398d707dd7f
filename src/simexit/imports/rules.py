"""Pure parts of an import: what a rejected row says, the running totals, the batch split."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

REPORT_COLUMNS = ("row", "external_id", "field", "rule", "detail")


@dataclass(frozen=True, slots=True)
class Rejection:
    """One reason a row was not imported: its line number, the field and the rule it broke."""

    row: int
    field: str
    rule: str
    detail: str
    external_id: str = ""

    def cells(self) -> tuple[str, str, str, str, str]:
        return (str(self.row), self.external_id, self.field, self.rule, self.detail)


@dataclass(slots=True)
class ImportTotals:
    """What an import did, row by row. `lines_unchanged` rows equalled what was stored."""

    rows: int = 0
    rejected_rows: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    lines_unchanged: int = 0
    subscribers_written: int = 0
    batches: int = 0
    rejected_row_numbers: set[int] = field(default_factory=set, repr=False)

    def reject(self, rejection: Rejection) -> bool:
        """Count a rejection; True the first time its row is rejected."""
        if rejection.row in self.rejected_row_numbers:
            return False
        self.rejected_row_numbers.add(rejection.row)
        self.rejected_rows += 1
        return True

    def end_batch(self) -> None:
        # Row numbers only need to be known within one batch (a row is in one batch).
        self.rejected_row_numbers.clear()
        self.batches += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "rejected_rows": self.rejected_rows,
            "lines_created": self.lines_created,
            "lines_updated": self.lines_updated,
            "lines_unchanged": self.lines_unchanged,
            "subscribers_written": self.subscribers_written,
            "batches": self.batches,
        }


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def split_created(written: int, existing_before: int, rows: int) -> tuple[int, int, int]:
    """(created, updated, unchanged) of a batch of `rows` distinct lines of which
    `existing_before` were stored already and `written` rows the upsert wrote."""
    created = rows - existing_before
    updated = max(written - created, 0)
    return created, updated, existing_before - updated
