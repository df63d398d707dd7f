"""`simexit import lines FILE`: load an operator's subscriber base from CSV or JSON Lines."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simexit.clock import utc_now
from simexit.imports import service
from simexit.imports.flows import import_rows
from simexit.imports.reader import FileFormat, RowSource, format_of_name
from simexit.imports.rows import KNOWN_COLUMNS
from simexit.imports.rules import REPORT_COLUMNS, ImportTotals
from simexit.principals import Actor, ActorType
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True, help="Bulk import of a subscriber base.")
CLI_ACTOR = Actor(ActorType.cli, "import")
PARALLEL_FROM_BYTES = 8 * 1024 * 1024  # about 40,000 rows


@app.command("lines")
def lines(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON Lines.")],
    operator: Annotated[str, typer.Option(help="Operator code, e.g. telenor-no.")],
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv or jsonl; by default from the file's name."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count every row; write nothing.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Where the rejected rows go, as CSV (default: FILE.rejected.csv)."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=50_000, help="Rows per transaction.")] = (
        service.BATCH_ROWS
    ),
    checkers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=32,
            help="Processes that check rows while this one writes (default: one per spare "
            "core, at most 4; 0 checks in this process).",
        ),
    ] = None,
) -> None:
    """Insert or update subscribers and lines by your own ids (`external_id`). Running the same
    file again changes nothing. Columns: docs/import.md."""
    fmt = file_format or format_of_name(file.name)
    report_path = report or file.with_name(file.name + ".rejected.csv")
    runtime = runtime_from_env()
    now = utc_now()
    with runtime.db.read_session() as session:
        target_operator = service.operator_by_code(session, operator)
        target = service.target_for(
            target_operator,
            packs=runtime.packs,
            secret=runtime.cases.secret_key,
            fmt=fmt,
            now=now,
        )
    size = file.stat().st_size
    if checkers is None:
        # Starting checker processes costs a second or two: worth it for a large file only.
        checkers = default_checkers() if size > PARALLEL_FROM_BYTES else 0
    with file.open("rb") as stream:
        source = RowSource(stream, fmt, known_columns=KNOWN_COLUMNS)
        source.read_header()  # a file that cannot be read is refused before anything starts
        with (
            report_path.open("w", newline="", encoding="utf-8") as report_file,
            _progress(Console(stderr=True)) as progress,
        ):
            writer = csv.writer(report_file)
            writer.writerow(REPORT_COLUMNS)
            task = progress.add_task("import", total=size, rows=0, rate="")
            started = progress.get_time()

            def advance(totals: ImportTotals) -> None:
                elapsed = max(progress.get_time() - started, 1e-6)
                rate = f"{totals.rows / elapsed:,.0f} rows/s"
                progress.update(task, completed=source.offset, rows=totals.rows, rate=rate)

            totals = import_rows(
                source,
                begin=runtime.db.session,
                target=target,
                on_rejection=lambda rejection: writer.writerow(rejection.cells()),
                now=now,
                batch_size=batch_size,
                dry_run=dry_run,
                on_batch=advance,
                checkers=checkers,
            )
    with runtime.db.session() as session:
        service.record_run(
            session,
            operator_id=target.operator_id,
            actor=CLI_ACTOR,
            subject=file.name,
            totals=totals,
            now=utc_now(),
            source={"file": file.name, "size_bytes": size},
            dry_run=dry_run,
        )
    _summary(totals, report_path, dry_run=dry_run)


def default_checkers() -> int:
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.fields[rows]:,} rows"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _summary(totals: ImportTotals, report_path: Path, *, dry_run: bool) -> None:
    verb = "would be" if dry_run else ""
    parts = [
        f"{totals.rows} rows read",
        f"{totals.lines_created} lines {verb} created".replace("  ", " "),
        f"{totals.lines_updated} {verb} updated".replace("  ", " "),
    ]
    if not dry_run:
        parts.append(f"{totals.lines_unchanged} unchanged")
    parts.append(f"{totals.rejected_rows} rejected")
    typer.echo(", ".join(parts))
    if totals.rejected_rows:
        typer.echo(f"rejected rows (row, field, rule): {report_path}")
