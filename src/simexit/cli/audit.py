from __future__ import annotations

import typer
from sqlalchemy import select

from simexit.audit.service import verify_operator
from simexit.models import Operator
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True)


@app.command()
def verify() -> None:
    """Re-hash every operator's chain; exit 1 at the first broken link."""
    runtime = runtime_from_env()
    broken = False
    with runtime.db.read_session() as session:
        operators = session.scalars(select(Operator).order_by(Operator.code)).all()
        for operator in operators:
            report = verify_operator(session, operator.id)
            if report.ok:
                typer.echo(f"{operator.code}: {report.events} events, chain intact")
            else:
                broken = True
                typer.secho(
                    f"{operator.code}: broken at event {report.first_broken_seq}: {report.problem}",
                    fg=typer.colors.RED,
                )
    raise typer.Exit(1 if broken else 0)
