"""An import run: read the file row by row, check each row, write the good ones in batches.

Each batch is one transaction of its own: a million-line base never holds the SQLite writer or a
PostgreSQL transaction for minutes, and memory holds one batch. The command (`simexit import
lines`) opens one transaction per batch; the job behind `POST /v1/imports` runs one batch per job
run and queues the next, recording where the file stands in the same transaction. A run that
stops half-way has written whole batches only; running the same file again finishes it, because
every write is an upsert by the operator's own ids that leaves equal rows alone.

A batch the database refuses as a whole (an ICCID another line holds, a line whose subscriber is
nowhere) is written again row by row, each in a savepoint, so that only the offending rows are
rejected, with the constraint they broke. A dry run writes each batch the same way and rolls it
back, so its counts and its database rejections are those of the real run (except a row whose
subscriber only an earlier batch of the same run would have created).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simexit.imports import repository
from simexit.imports.parallel import checked_elsewhere
from simexit.imports.reader import SourceRow
from simexit.imports.rows import CheckedRow, CheckResult, RowChecker
from simexit.imports.rules import ImportTotals, Rejection, batches
from simexit.jobs import enqueue
from simexit.provisioning.events import RECHECK_JOB
from simexit.provisioning.rules import SUBSCRIBER_LINK_COLUMN as LINK
from simexit.provisioning.secrets import seal

RejectionSink = Callable[[Rejection], None]


@dataclass(frozen=True, slots=True)
class ImportTarget:
    operator_id: uuid.UUID
    checker: RowChecker
    secret: bytes  # keys the identity-document hashes (`provisioning.secrets`)


def import_rows(
    source: Iterable[SourceRow],
    *,
    begin: Callable[[], AbstractContextManager[Session]],
    target: ImportTarget,
    on_rejection: RejectionSink,
    now: datetime,
    batch_size: int,
    dry_run: bool = False,
    on_batch: Callable[[ImportTotals], None] | None = None,
    checkers: int = 0,
) -> ImportTotals:
    """A whole file, one transaction (`begin()`) per batch: what `simexit import lines` runs.
    With `checkers` > 0, that many other processes check the next batches' fields while this
    one writes (`imports.parallel`); the rows, their order and the outcome are the same."""
    totals = ImportTotals()
    checked_batches = (
        checked_elsewhere(source, target.checker, batch_size=batch_size, processes=checkers)
        if checkers > 0
        else ([target.checker.check(row) for row in batch] for batch in batches(source, batch_size))
    )
    for results in checked_batches:
        with begin() as session:
            apply_checked(
                session,
                results,
                target=target,
                totals=totals,
                on_rejection=on_rejection,
                now=now,
                dry_run=dry_run,
            )
        if on_batch is not None:
            on_batch(totals)
    return totals


def apply_batch(
    session: Session,
    rows: Sequence[SourceRow],
    *,
    target: ImportTarget,
    totals: ImportTotals,
    on_rejection: RejectionSink,
    now: datetime,
    dry_run: bool = False,
) -> None:
    """Check and write one batch of rows in `session`'s transaction, adding to `totals`."""
    results = [target.checker.check(row) for row in rows]
    apply_checked(
        session,
        results,
        target=target,
        totals=totals,
        on_rejection=on_rejection,
        now=now,
        dry_run=dry_run,
    )


def apply_checked(
    session: Session,
    results: Sequence[CheckResult],
    *,
    target: ImportTarget,
    totals: ImportTotals,
    on_rejection: RejectionSink,
    now: datetime,
    dry_run: bool = False,
) -> None:
    """Write one batch of checked rows in `session`'s transaction, adding to `totals`."""
    good = _last_of_each(_passed(results, totals, on_rejection), totals, on_rejection)
    if dry_run:
        with session.begin_nested() as trial:
            _write(session, target, good, totals, on_rejection, now)
            trial.rollback()
    else:
        _write(session, target, good, totals, on_rejection, now)
    totals.end_batch()


def _passed(
    results: Iterable[CheckResult], totals: ImportTotals, on_rejection: RejectionSink
) -> list[CheckedRow]:
    passed = []
    for result in results:
        totals.rows += 1
        if isinstance(result, CheckedRow):
            passed.append(result)
            continue
        for rejection in result:
            totals.reject(rejection)
            on_rejection(rejection)
    return passed


def _last_of_each(
    batch: Sequence[CheckedRow], totals: ImportTotals, on_rejection: RejectionSink
) -> list[CheckedRow]:
    """One row per line: when a batch sets the same line twice, the later row wins."""
    latest: dict[str, CheckedRow] = {}
    for row in batch:
        earlier = latest.pop(row.external_id, None)
        if earlier is not None:
            rejection = Rejection(
                earlier.number,
                "external_id",
                "repeated_in_file",
                f"row {row.number} sets the same line; the later row is imported",
                earlier.external_id,
            )
            if totals.reject(rejection):
                on_rejection(rejection)
        latest[row.external_id] = row
    return list(latest.values())


def _write(
    session: Session,
    target: ImportTarget,
    rows: list[CheckedRow],
    totals: ImportTotals,
    on_rejection: RejectionSink,
    now: datetime,
) -> None:
    try:
        with session.begin_nested():
            _apply(session, target, rows, totals, now, on_rejection)
        return
    except IntegrityError:
        pass  # nothing of the batch is written; find the rows the database refuses
    for row in rows:
        try:
            with session.begin_nested():
                _apply(session, target, [row], totals, now, on_rejection)
        except IntegrityError as error:
            rejection = _refused_by_database(row, error)
            if totals.reject(rejection):
                on_rejection(rejection)


def _apply(
    session: Session,
    target: ImportTarget,
    rows: Sequence[CheckedRow],
    totals: ImportTotals,
    now: datetime,
    on_rejection: RejectionSink,
) -> None:
    subscribers = _sealed_subscribers(session, target, rows)
    for (_columns, updates), group in _grouped(subscribers).items():
        totals.subscribers_written += repository.upsert_subscribers(
            session, operator_id=target.operator_id, rows=group, updates=updates, now=now
        )
    owners = repository.subscriber_ids(
        session, target.operator_id, (str(row.line[LINK]) for row in rows)
    )
    placed = []
    for row in rows:
        owner = owners.get(str(row.line[LINK]))
        if owner is None:
            if totals.reject(_no_subscriber(row)):
                on_rejection(_no_subscriber(row))
            continue
        line = {name: value for name, value in row.line.items() if name != LINK}
        line["subscriber_id"] = owner
        placed.append((row, line))
    existing = repository.existing_external_ids(
        session, repository.LINES, target.operator_id, (row.external_id for row, _ in placed)
    )
    written = 0
    lines = [(line, row.line_updates) for row, line in placed]
    for (_columns, updates), group in _grouped(lines).items():
        written += repository.upsert_lines(
            session, operator_id=target.operator_id, rows=group, updates=updates, now=now
        )
    created = len(placed) - len(existing)
    updated = max(written - created, 0)
    if updated:
        _recheck_blocked(session, target.operator_id, existing, now)
    totals.lines_created += created
    totals.lines_updated += updated
    totals.lines_unchanged += len(existing) - updated


def _recheck_blocked(
    session: Session, operator_id: uuid.UUID, existing: set[str], now: datetime
) -> None:
    """A line whose case is blocked (unpaid bills, a flag) may be freed by the new values: the
    same re-check a BSS event makes, queued per line, after this batch commits."""
    for line_id in repository.lines_with_blocked_cases(session, operator_id, existing):
        enqueue(session, RECHECK_JOB, now=now, operator_id=operator_id, line_id=str(line_id))


def _no_subscriber(row: CheckedRow) -> Rejection:
    return Rejection(
        row.number,
        LINK,
        "exists",
        "no subscriber with this external id: give its subscriber_* columns in the row, "
        "or import it first",
        row.external_id,
    )


Columns = tuple[str, ...]


def _grouped(
    rows: Iterable[tuple[dict[str, object], Columns]],
) -> dict[tuple[Columns, Columns], list[dict[str, object]]]:
    """Rows by the columns they carry and update: one statement shape per group (a CSV file is
    one group; JSON Lines rows may differ)."""
    groups: dict[tuple[Columns, Columns], list[dict[str, object]]] = {}
    for values, updates in rows:
        columns = tuple(name for name in values if name != "external_id")
        groups.setdefault((columns, updates), []).append(values)
    return groups


def _sealed_subscribers(
    session: Session, target: ImportTarget, rows: Sequence[CheckedRow]
) -> list[tuple[dict[str, object], Columns]]:
    """The batch's subscribers, one per external id (the last row wins), with identity evidence
    and PINs replaced by what may be stored."""
    latest: dict[str, CheckedRow] = {}
    for row in rows:
        if row.subscriber is not None:
            latest[str(row.subscriber["external_id"])] = row
    with_pin = [
        key for key, row in latest.items() if row.subscriber and "account_pin" in row.subscriber
    ]
    pin_hashes = repository.pin_hashes(session, target.operator_id, with_pin) if with_pin else {}
    sealed = []
    for key, row in latest.items():
        assert row.subscriber is not None  # noqa: S101 - only rows with a subscriber are here
        values = seal(
            row.subscriber,
            secret=target.secret,
            operator_id=target.operator_id,
            current_pin_hash=pin_hashes.get(key),
        )
        sealed.append((values, _sealed_columns(row.subscriber_updates)))
    return sealed


def _sealed_columns(updates: Columns) -> Columns:
    stored = {
        "id_document_number": ("id_document_hash", "id_document_last4"),
        "account_pin": ("account_pin_hash",),
    }
    return tuple(column for name in updates for column in stored.get(name, (name,)))


def _refused_by_database(row: CheckedRow, error: IntegrityError) -> Rejection:
    text = str(error.orig).lower()
    if "iccid" in text:
        field, rule, detail = "iccid", "unique", "another line of this operator has this ICCID"
    elif "reseller" in text or "foreign key" in text:
        field, rule, detail = "reseller_id", "exists", "no such reseller of this operator"
    else:
        field, rule, detail = "row", "database_constraint", "the database refused this row"
    return Rejection(row.number, field, rule, detail, row.external_id)
