"""A base file through the import flow on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import func, select

from simexit.db import Database
from simexit.imports import service
from simexit.imports.flows import ImportTarget, import_rows
from simexit.imports.reader import FileFormat, RowSource
from simexit.imports.rows import KNOWN_COLUMNS
from simexit.imports.rules import ImportTotals, Rejection
from simexit.models import Line, Subscriber
from simexit.policies.loader import load_registry
from tests.fixtures.factories import create_operator
from tests.imports import base_files

SECRET = b"s" * 32


def _target(db: Database, now: datetime, code: str = "no-import") -> ImportTarget:
    packs = load_registry()
    with db.session() as session:
        operator = create_operator(session, packs=packs, code=code)
        return service.target_for(operator, packs=packs, secret=SECRET, fmt=FileFormat.csv, now=now)


def _run(
    db: Database,
    target: ImportTarget,
    data: bytes,
    now: datetime,
    *,
    dry_run: bool = False,
    batch_size: int = 300,
    checkers: int = 0,
) -> tuple[ImportTotals, list[Rejection]]:
    found: list[Rejection] = []
    totals = import_rows(
        RowSource(io.BytesIO(data), FileFormat.csv, known_columns=KNOWN_COLUMNS),
        begin=db.session,
        target=target,
        on_rejection=found.append,
        now=now,
        batch_size=batch_size,
        dry_run=dry_run,
        checkers=checkers,
    )
    return totals, found


def _count(db: Database, model: type[Line] | type[Subscriber]) -> int:
    with db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_thousand_lines_with_twenty_broken_rows(db: Database, now: datetime) -> None:
    target = _target(db, now)
    data = base_files.csv_bytes(base_files.rows(1000, broken_every=50))
    planted = base_files.broken_rows(1000, 50)
    assert len(planted) == 20

    totals, rejected = _run(db, target, data, now)

    assert {r.row: (r.field, r.rule) for r in rejected} == planted
    assert all(r.external_id.startswith("L-") for r in rejected)
    assert (totals.rows, totals.rejected_rows, totals.lines_created) == (1000, 20, 980)
    assert _count(db, Line) == 980
    # Two lines per subscriber; a subscriber both of whose lines are broken is not created.
    with db.read_session() as session:
        line = session.scalars(select(Line).where(Line.external_id == "L-0000001")).one()
        assert (line.msisdn, line.iccid, line.monthly_fee_minor) == (
            "+4790000001",
            base_files.iccid(1),
            29900,
        )
        owner = session.get(Subscriber, line.subscriber_id)
        assert owner is not None
        assert owner.external_id == "C-0000000"

    again, rejected_again = _run(db, target, data, now)
    assert (again.lines_created, again.lines_updated, again.lines_unchanged) == (0, 0, 980)
    assert again.subscribers_written == 0
    assert [(r.row, r.rule) for r in rejected_again] == [(r.row, r.rule) for r in rejected]
    assert _count(db, Line) == 980


def test_a_changed_file_changes_exactly_the_rows_that_differ(db: Database, now: datetime) -> None:
    target = _target(db, now)
    _run(db, target, base_files.csv_bytes(base_files.rows(100)), now)
    changed = list(base_files.rows(100))
    for row in changed[10:15]:
        row["monthly_fee"] = "349.00"
    totals, rejected = _run(db, target, base_files.csv_bytes(iter(changed)), now)
    assert rejected == []
    assert (totals.lines_created, totals.lines_updated, totals.lines_unchanged) == (0, 5, 95)
    with db.read_session() as session:
        fees = session.scalars(
            select(Line.monthly_fee_minor).where(Line.external_id == "L-0000012")
        ).one()
        assert fees == 34900


def test_a_column_the_file_lacks_is_left_as_stored(db: Database, now: datetime) -> None:
    target = _target(db, now)
    _run(db, target, base_files.csv_bytes(base_files.rows(10)), now)
    slim = b"external_id,subscriber_external_id,msisdn,kind,plan,activated_on,unpaid_bills\n"
    slim += b"L-0000003,C-0000001,+4790000003,physical_sim,postpaid,2024-05-01,120.00\n"
    totals, rejected = _run(db, target, slim, now)
    assert rejected == []
    assert totals.lines_updated == 1
    with db.read_session() as session:
        line = session.scalars(select(Line).where(Line.external_id == "L-0000003")).one()
        assert (line.unpaid_bills_minor, line.monthly_fee_minor) == (12000, 29900)
        assert line.iccid == base_files.iccid(3)  # not in the file: kept


def test_the_database_refuses_single_rows_not_the_batch(db: Database, now: datetime) -> None:
    target = _target(db, now)
    rows = list(base_files.rows(6))
    rows[2]["iccid"] = rows[1]["iccid"]  # another line holds it
    rows[4]["subscriber_full_name"] = ""  # still carries subscriber_ columns: fine
    data = base_files.csv_bytes(iter(rows))
    data += b"L-9,C-NOBODY,,,,+4790000099,physical_sim,postpaid,,,2024-05-01,,,,\n"
    totals, rejected = _run(db, target, data, now)
    # The stranger's row names subscriber columns, but all of them empty: a subscriber with
    # no contact data is still created, so only the ICCID clash is refused.
    assert [(r.row, r.field, r.rule) for r in rejected] == [(4, "iccid", "unique")]
    assert totals.lines_created == 6


def test_a_line_whose_subscriber_is_nowhere_is_refused(db: Database, now: datetime) -> None:
    target = _target(db, now)
    data = b"external_id,subscriber_external_id,msisdn,kind,plan,activated_on\n"
    data += b"L-1,C-NOBODY,+4790000001,physical_sim,postpaid,2024-05-01\n"
    totals, rejected = _run(db, target, data, now)
    assert [(r.row, r.field, r.rule) for r in rejected] == [(2, "subscriber_external_id", "exists")]
    assert totals.lines_created == 0


def test_a_dry_run_counts_what_a_run_would_do_and_writes_nothing(
    db: Database, now: datetime
) -> None:
    target = _target(db, now)
    data = base_files.csv_bytes(base_files.rows(200, broken_every=40))
    totals, rejected = _run(db, target, data, now, dry_run=True)
    assert (totals.lines_created, totals.rejected_rows) == (195, 5)
    assert len(rejected) == 5
    assert _count(db, Line) == 0
    assert _count(db, Subscriber) == 0


def test_the_same_line_twice_in_a_batch_imports_the_later_row(db: Database, now: datetime) -> None:
    target = _target(db, now)
    rows = list(base_files.rows(3))
    repeat = dict(rows[0], monthly_fee="1.00")
    data = base_files.csv_bytes(iter([*rows, repeat]))
    totals, rejected = _run(db, target, data, now)
    assert [(r.row, r.rule) for r in rejected] == [(2, "repeated_in_file")]
    assert totals.lines_created == 3
    with db.read_session() as session:
        fee = session.scalars(
            select(Line.monthly_fee_minor).where(Line.external_id == "L-0000000")
        ).one()
        assert fee == 100


@pytest.mark.parametrize("batch_size", [1, 7, 5000])
def test_batch_size_changes_nothing_but_the_transactions(
    db: Database, now: datetime, batch_size: int
) -> None:
    target = _target(db, now, code=f"no-batch-{batch_size}")
    totals, rejected = _run(
        db,
        target,
        base_files.csv_bytes(base_files.rows(40, broken_every=10)),
        now,
        batch_size=batch_size,
    )
    assert (totals.lines_created, totals.rejected_rows) == (36, 4)
    assert sorted(r.row for r in rejected) == sorted(base_files.broken_rows(40, 10))


def test_rows_checked_in_other_processes_import_the_same(db: Database, now: datetime) -> None:
    data = base_files.csv_bytes(base_files.rows(900, broken_every=45))
    here = _target(db, now, code="no-here")
    there = _target(db, now, code="no-there")
    alone, rejected_alone = _run(db, here, data, now, batch_size=100)
    shared, rejected_shared = _run(db, there, data, now, batch_size=100, checkers=2)
    assert shared.as_dict() == alone.as_dict()
    assert rejected_shared == rejected_alone
