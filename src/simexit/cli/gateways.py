"""`simexit gateways check`: which adapter each operator's gateways use, and whether the
operator is a sandbox, from `SIMEXIT_GATEWAYS_FILE`, checked as `serve` and `worker` check it.

A bad file, an operator code the database does not have, or (with `SIMEXIT_ENV=production`) a
simulated gateway for an operator not marked sandbox is the same one line as at start-up
(exit 2). The database is read only when it is at head; otherwise the codes are not checked and
the command says so."""

from __future__ import annotations

import typer

from simexit import migrate
from simexit.config import Environment
from simexit.operators.gateways import DEFAULT_SECTION, OperatorGatewayPlan, Port
from simexit.operators.repository import operator_codes
from simexit.runtime import runtime_from_env

app = typer.Typer(help="Gateways per operator.", no_args_is_help=True)


@app.callback()
def gateways() -> None:
    """Gateways per operator, from SIMEXIT_GATEWAYS_FILE."""


@app.command()
def check() -> None:
    """Load the gateways file and print, per operator, each port's adapter and the sandbox mark."""
    runtime = runtime_from_env()
    plan = runtime.gateway_plan
    checked = migrate.is_at_head(runtime.db.engine)
    if checked:
        runtime.check_gateways()
        with runtime.db.read_session() as session:
            codes = operator_codes(session)
    else:
        codes = []
    source = str(plan.source) if plan.source else "none (SIMEXIT_GATEWAYS_FILE is not set)"
    typer.echo(f"gateways file: {source}")
    if not checked:
        typer.echo("database not at head: operator codes not checked against it")
    rows = [plan.default, *(plan.for_operator(code) for code in sorted({*codes, *plan.operators}))]
    _print(rows)
    if runtime.settings.env is not Environment.production:
        simulated = [row.operator for row in rows if row.simulated_ports() and not row.sandbox]
        if simulated:
            typer.echo(
                "note: production would refuse this: simulated adapters for "
                f"{', '.join(simulated)}, not marked sandbox = true"
            )


def _print(rows: list[OperatorGatewayPlan]) -> None:
    header = ["operator", "sandbox", *(port.value for port in Port)]
    table = [
        [
            row.operator if row.operator != DEFAULT_SECTION else "(default)",
            "yes" if row.sandbox else "no",
            *(row.ports[port].adapter for port in Port),
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    for line in [header, *table]:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
