"""`simexit ledger`: the settlement ledger for finance.

    simexit ledger export --operator telenor-no --from 2026-12-01 --to 2026-12-31 --out dec.csv
    simexit ledger check                       # every operator; exit 1 on any problem
    simexit ledger check --operator telenor-no

Read-only: each command reads in one transaction.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from simexit.errors import InvalidFields
from simexit.ledger import service
from simexit.refunds.service import operator_by_code
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True, help="The settlement ledger: export and trial balance.")


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.secho(f"error: --{name}: {value!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(2) from None


@app.command()
def export(
    operator: Annotated[str, typer.Option(help="Operator code, e.g. telenor-no.")],
    from_: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC).")],
    to: Annotated[str, typer.Option(help="Last day, included (YYYY-MM-DD, UTC).")],
    out: Annotated[Path | None, typer.Option(help="CSV file to write; default: stdout.")] = None,
) -> None:
    """The operator's ledger entries of a period as CSV, oldest first."""
    runtime = runtime_from_env()
    try:
        start, end = service.period(_day(from_, "from"), _day(to, "to"))
    except InvalidFields as refused:
        for field, rule, detail, _params in refused.problems:
            typer.secho(f"error: --{field.removeprefix('query.')}: {detail} ({rule})", err=True)
        raise typer.Exit(2) from None
    if out is not None and out.exists():
        typer.secho(f"error: {out} exists; choose another file", err=True)
        raise typer.Exit(2)
    with runtime.db.read_session() as session:
        found = operator_by_code(session, operator)
        target = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            for line in service.csv_lines(session, found.id, start, end):
                target.write(line)
        finally:
            if out is not None:
                target.close()


@app.command()
def check(
    operator: Annotated[str, typer.Option(help="Operator code; default: every operator.")] = "",
) -> None:
    """The trial balance: exit 1 and list each problem when a case or payout does not add up."""
    runtime = runtime_from_env()
    with runtime.db.read_session() as session:
        operator_id = operator_by_code(session, operator).id if operator else None
        result = service.check(session, operator_id)
    for problem in result.problems:
        typer.echo(f"{problem.case_reference}: {problem.rule}: {problem.detail}")
    verdict = "balanced" if result.balanced else f"{len(result.problems)} problems"
    typer.echo(f"{result.cases} cases, {result.payouts} payouts: {verdict}")
    if not result.balanced:
        raise typer.Exit(1)
