"""A generated base of N lines imported into SQLite and PostgreSQL, against raw writes of the
same rows, in one run.

    uv run python bench/import_bench.py [--rows 1000000] [--small 100000]
        [--backends sqlite,postgresql]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For each back end, each phase runs in a process of its own on a fresh database (a SQLite file;
a new PostgreSQL database), migrated, with one operator:

  * raw:    the file read with `csv.reader` and its rows written as they are, without checks,
            upserts or audit: sqlite3 `executemany` in transactions of 2,000 rows; PostgreSQL
            `COPY ... FROM STDIN` (psycopg), one per table;
  * import: `simexit import lines`'s own code (`imports.flows.import_rows`): every field
            checked by the provisioning rules (in a checker process per spare core, as the
            command does), upserts by external id, 2,000 rows a transaction;
  * re-import: the same file again into the imported database (every row unchanged).

It prints rows/s of each, import/raw as a ratio (the aim: >= 0.5 on both back ends), and the
peak RSS of the import process for the small and the full file (the aim: flat, as the file is
streamed). Figures only; no assertions. The file has two lines per subscriber, as
`tests/imports/base_files.py` makes them.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.factories import create_operator  # noqa: E402
from tests.imports import base_files  # noqa: E402

from simexit import migrate  # noqa: E402
from simexit.cli.imports import default_checkers  # noqa: E402
from simexit.db import Database  # noqa: E402
from simexit.imports import service  # noqa: E402
from simexit.imports.flows import import_rows  # noqa: E402
from simexit.imports.reader import FileFormat, RowSource  # noqa: E402
from simexit.imports.rows import KNOWN_COLUMNS  # noqa: E402
from simexit.policies.loader import load_registry  # noqa: E402

BATCH = 2000
NOW = datetime.now(UTC)


def write_file(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=base_files.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in base_files.rows(rows):
            writer.writerow(row)


@contextmanager
def database(backend: str, server_url: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        return
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"simexit_import_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepared_database(url: str) -> tuple[Database, uuid.UUID]:
    db = Database(url)
    migrate.upgrade(db.engine)
    with db.session() as session:
        operator = create_operator(session, packs=load_registry(), code="bench-no")
        return db, operator.id


# --- the raw baseline ------------------------------------------------------------------------

SUBSCRIBER_COLUMNS = ("id", "operator_id", "external_id", "full_name", "email", "language")
LINE_COLUMNS = (
    "id", "operator_id", "external_id", "subscriber_id", "msisdn", "kind", "plan", "iccid",
    "imsi", "activated_on", "monthly_fee_minor", "balance_minor", "unpaid_bills_minor",
    "linked_services", "status", "currency",
)  # fmt: skip
LINE_CONSTANTS = {
    "bonus_balance_minor": 0,
    "device_instalment_minor": 0,
    "port_pending": False,
    "purchase_channel": "direct",
    "suspension_flags": "[]",
    "suspensions_this_year": 0,
    "sim_return_required": False,
}


def _minor(text: str) -> int:
    whole, _, part = text.partition(".")
    return int(whole) * 100 + int((part + "00")[:2])


def raw_rows(
    path: Path, operator_id: uuid.UUID
) -> Iterator[tuple[tuple[object, ...] | None, tuple[object, ...]]]:
    """(subscriber row or None when already seen, line row), as raw values. Ids are derived
    from the keys, so two passes over the file (COPY's two tables) agree."""
    owners: dict[str, uuid.UUID] = {}
    with path.open(newline="", encoding="utf-8") as source:
        for cells in csv.DictReader(source):
            key = cells["subscriber_external_id"]
            subscriber = None
            if key not in owners:
                owners[key] = uuid.uuid5(operator_id, key)
                subscriber = (
                    owners[key], operator_id, key, cells["subscriber_full_name"],
                    cells["subscriber_email"], cells["subscriber_language"],
                )  # fmt: skip
            services = json.dumps([s for s in cells["linked_services"].split(";") if s])
            line = (
                uuid.uuid4(), operator_id, cells["external_id"], owners[key], cells["msisdn"],
                cells["kind"], cells["plan"], cells["iccid"], cells["imsi"],
                cells["activated_on"], _minor(cells["monthly_fee"]), _minor(cells["balance"]),
                _minor(cells["unpaid_bills"]), services, "active", "NOK",
            )  # fmt: skip
            yield subscriber, line


def raw_sqlite(db: Database, path: Path, operator_id: uuid.UUID) -> int:
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    sub_sql = (
        f"INSERT INTO subscribers ({', '.join(SUBSCRIBER_COLUMNS)}, created_at) "  # noqa: S608 - our column names
        f"VALUES ({', '.join('?' * (len(SUBSCRIBER_COLUMNS) + 1))})"
    )
    columns = (*LINE_COLUMNS, *LINE_CONSTANTS, "created_at", "updated_at")
    marks = ", ".join("?" * len(columns))
    line_sql = f"INSERT INTO lines ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - our names
    constants = tuple(LINE_CONSTANTS.values())
    raw = db.engine.raw_connection()
    cursor = raw.cursor()
    count = 0
    subscribers: list[tuple[object, ...]] = []
    lines: list[tuple[object, ...]] = []

    def flush() -> None:
        cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(sub_sql, subscribers)
        cursor.executemany(line_sql, lines)
        cursor.execute("COMMIT")
        subscribers.clear()
        lines.clear()

    for subscriber, line in raw_rows(path, operator_id):
        if subscriber is not None:
            subscribers.append((subscriber[0].hex, subscriber[1].hex, *subscriber[2:], stamp))  # type: ignore[union-attr]
        lines.append(
            (line[0].hex, line[1].hex, line[2], line[3].hex, *line[4:], *constants, stamp, stamp)
        )  # type: ignore[union-attr]
        count += 1
        if len(lines) >= BATCH:
            flush()
    if lines:
        flush()
    raw.close()
    return count


def raw_postgres(db: Database, path: Path, operator_id: uuid.UUID) -> int:
    raw = db.engine.raw_connection()
    driver = raw.driver_connection
    count = 0
    with driver.cursor() as cursor:
        columns = (*LINE_COLUMNS, *LINE_CONSTANTS, "created_at", "updated_at")
        constants = tuple(LINE_CONSTANTS.values())
        # Subscribers first (lines refer to them), then the lines, each one COPY.
        with cursor.copy(
            f"COPY subscribers ({', '.join(SUBSCRIBER_COLUMNS)}, created_at) FROM STDIN"
        ) as copy:
            for subscriber, _line in raw_rows(path, operator_id):
                if subscriber is not None:
                    copy.write_row((*subscriber, NOW))
        with cursor.copy(f"COPY lines ({', '.join(columns)}) FROM STDIN") as copy:
            for _subscriber, line in raw_rows(path, operator_id):
                copy.write_row((*line, *constants, NOW, NOW))
                count += 1
    driver.commit()
    raw.close()
    return count


# --- phases, each in a process of its own ----------------------------------------------------


def child(phase: str, backend: str, path: Path, url: str) -> None:
    db, operator_id = prepared_database(url)
    started = time.perf_counter()
    if phase == "raw":
        rows = (raw_sqlite if backend == "sqlite" else raw_postgres)(db, path, operator_id)
        figures = {"rows": rows}
    else:
        packs = load_registry()
        with db.read_session() as session:
            operator = service.operator_by_code(session, "bench-no")
        target = service.target_for(
            operator, packs=packs, secret=b"b" * 32, fmt=FileFormat.csv, now=NOW
        )
        figures = {}
        for run in ("import", "reimport"):
            started = time.perf_counter()
            with path.open("rb") as stream:
                totals = import_rows(
                    RowSource(stream, FileFormat.csv, known_columns=KNOWN_COLUMNS),
                    begin=db.session,
                    target=target,
                    on_rejection=lambda _rejection: None,
                    now=NOW,
                    batch_size=BATCH,
                    checkers=default_checkers(),
                )
            figures[run] = {
                "rows": totals.rows,
                "seconds": time.perf_counter() - started,
                "created": totals.lines_created,
                "unchanged": totals.lines_unchanged,
                "rejected": totals.rejected_rows,
            }
            if run == "import":
                figures["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            if phase == "import-once":
                break
    figures["seconds"] = figures.get("import", {}).get("seconds", time.perf_counter() - started)  # type: ignore[union-attr]
    db.engine.dispose()
    print(json.dumps(figures))


def run_child(phase: str, backend: str, path: Path, url: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", phase, backend, str(path), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--child", nargs=4, metavar=("PHASE", "BACKEND", "FILE", "URL"))
    args = parser.parse_args()
    if args.child:
        phase, backend, file, url = args.child
        child(phase, backend, Path(file), url)
        return
    with tempfile.TemporaryDirectory(prefix="simexit-import-bench-") as tmp:
        directory = Path(tmp)
        big, small = directory / "base.csv", directory / "small.csv"
        print(f"generating {args.rows:,} and {args.small:,} lines ...", flush=True)
        write_file(big, args.rows)
        write_file(small, args.small)
        print(f"file: {big.stat().st_size / 1e6:.0f} MB for {args.rows:,} lines", flush=True)
        for backend in args.backends.split(","):
            with database(backend, args.postgres, directory) as url:
                raw = run_child("raw", backend, big, url)
            with database(backend, args.postgres, directory) as url:
                full = run_child("import", backend, big, url)
            with database(backend, args.postgres, directory) as url:
                little = run_child("import-once", backend, small, url)
            report(backend, args.rows, raw, full, little, args.small)


def report(
    backend: str,
    rows: int,
    raw: dict[str, object],
    full: dict[str, object],
    little: dict[str, object],
    small_rows: int,
) -> None:
    raw_rate = rows / float(raw["seconds"])  # type: ignore[arg-type]
    first, again = full["import"], full["reimport"]
    assert isinstance(first, dict)  # noqa: S101
    assert isinstance(again, dict)  # noqa: S101
    import_rate = rows / float(first["seconds"])
    reimport_rate = rows / float(again["seconds"])
    print(f"\n== {backend}: {rows:,} lines")
    print(f"  raw (no checks)   {raw_rate:10,.0f} rows/s")
    print(
        f"  import            {import_rate:10,.0f} rows/s   "
        f"({first['created']:,} created, {first['rejected']} rejected)"
    )
    print(f"  re-import         {reimport_rate:10,.0f} rows/s   ({again['unchanged']:,} unchanged)")
    print(f"  import / raw      {import_rate / raw_rate:10.2f}   (aim >= 0.50)")
    small_rss = int(little["rss_kb"]) / 1024  # type: ignore[call-overload]
    full_rss = int(full["rss_kb"]) / 1024  # type: ignore[call-overload]
    print(
        f"  peak RSS          {small_rss:7.0f} MB at {small_rows:,} lines, "
        f"{full_rss:.0f} MB at {rows:,} ({full_rss / small_rss:.2f}x; aim: flat)"
    )


if __name__ == "__main__":
    main()
