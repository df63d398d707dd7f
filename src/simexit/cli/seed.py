"""`simexit seed demo`: the demo operators, lines, staff and API keys, on request.

`simexit serve` runs the same seeding on an empty database when `SIMEXIT_SEED_DEMO` says so
(by default only with `SIMEXIT_ENV=local`); production refuses it either way.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from simexit.cli.startup import prepare_database
from simexit.runtime import runtime_from_env
from simexit.seed.demo import DEMO_PASSWORD, SeedResult

app = typer.Typer(no_args_is_help=True)


def print_seed(result: SeedResult) -> None:
    typer.echo(f"seeded {result.operators} demo operators and {result.lines} lines")
    typer.echo(
        f"staff sign-in: agent@telenor-no.demo (also supervisor@, admin@; any operator code) / password {DEMO_PASSWORD}"
    )
    for code, key in result.api_keys.items():
        typer.echo(f"API key {code}: {key}")
    typer.echo(f"API key telenor-no reseller: {result.reseller_key}")
    typer.echo("keys are shown once; `simexit keys create` makes more")
    print_showcase(result)


def print_showcase(result: SeedResult) -> None:
    """A few demo lines to try, one per situation, and where their one-time codes show up."""
    if not result.showcase:
        return
    table = Table("number", "operator", "kind", "what it shows", title="Demo lines to try")
    for line in result.showcase:
        table.add_row(line.msisdn, line.operator, line.kind, line.situation)
    console = Console()
    console.print(table)
    console.print(
        "One-time codes: no SMS or e-mail service is set up, so messages go to the local sink. "
        "The portal shows the code itself (on /login after asking for one, and on a case's "
        "/my/cases/{id}/confirm page); staff see every message, code masked, at "
        "/console/messages. More lines: `simexit lines list --operator telenor-no`."
    )


@app.command()
def demo() -> None:
    """Migrate, then create the demo operators, subscribers, lines, staff and API keys (once;
    never in production)."""
    result = prepare_database(runtime_from_env(), seed=True)
    if result is None:
        typer.echo("demo data already present; nothing to do")
        return
    print_seed(result)
