"""`simexit lines list`: the lines, with the situation each is in, a page at a time."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from simexit.clock import utc_now
from simexit.lines.situations import situation
from simexit.lines.states import LineStatus
from simexit.models import Line, Operator
from simexit.operators import clocks as operator_clocks
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True, help="Lines: list them with their situation.")


@app.command("list")
def list_lines(
    operator: Annotated[str | None, typer.Option(help="Only this operator's (its code).")] = None,
    status: Annotated[LineStatus | None, typer.Option(help="Only lines in this status.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind: physical_sim, esim, data_only.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Lines per page.")] = 50,
    after: Annotated[
        str | None, typer.Option(help="The page after this number (the last one shown).")
    ] = None,
) -> None:
    """Number, operator, kind, plan, status and what situation the line is in, by number."""
    runtime = runtime_from_env()
    table = Table("number", "operator", "kind", "plan", "status", "product", "situation")
    statement = (
        select(Line, Operator.code)
        .join(Operator, Operator.id == Line.operator_id)
        .order_by(Line.msisdn)
        .limit(limit + 1)
    )
    if operator is not None:
        statement = statement.where(Operator.code == operator)
    if status is not None:
        statement = statement.where(Line.status == status)
    if kind is not None:
        statement = statement.where(Line.kind == kind)
    if after is not None:
        statement = statement.where(Line.msisdn > after)
    wall = utc_now()
    with runtime.db.read_session() as session:
        rows = session.execute(statement).all()
        for line, code in rows[:limit]:
            # Each operator's today: a sandbox operator on a test clock is wherever it is.
            today = operator_clocks.now_for(session, line.operator_id, wall).date()
            table.add_row(
                line.msisdn,
                code,
                line.kind,
                line.plan,
                str(line.status),
                line.product_name or "",
                situation(line, today),
            )
    if not rows:
        typer.echo("no lines match")
        return
    Console().print(table)
    if len(rows) > limit:
        typer.echo(f"more: --after {rows[limit - 1][0].msisdn}")
