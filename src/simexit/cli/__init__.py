"""The `simexit` command. One sub-app per domain; commands are thin: parse, one transaction, print."""

from __future__ import annotations

import sys

import typer

from simexit.errors import ConfigurationError, DomainError
from simexit.policies.errors import PolicyPackError

app = typer.Typer(no_args_is_help=True, help="simexit: end mobile subscriptions correctly.")


def _register() -> None:
    from simexit.cli import audit, cases, db, seed

    app.add_typer(db.app, name="db", help="Database migrations.")
    app.add_typer(seed.app, name="seed", help="Demo data.")
    app.add_typer(cases.app, name="cases", help="Cases: list, show, decide, diagram.")
    app.add_typer(audit.app, name="audit", help="The audit trail.")
    optional = {
        "policy": ("simexit.cli.policy", "Policy packs: check and show."),
        "jobs": ("simexit.cli.jobs", "Durable jobs: list, show, retry."),
        "worker": ("simexit.cli.worker", "Run the job worker."),
        "serve": ("simexit.cli.serve", "Run the HTTP server."),
        "keys": ("simexit.cli.keys", "API keys."),
        "staff": ("simexit.cli.staff", "Staff users: create, list, disable, reset-password."),
        "gateways": ("simexit.cli.gateways", "Gateways per operator: check the gateways file."),
        "import": ("simexit.cli.imports", "Bulk import of a subscriber base."),
        "clock": ("simexit.cli.clock", "Test clocks of sandbox operators: show, advance."),
        "lines": ("simexit.cli.lines", "Lines: list them with their situation."),
        "payouts": ("simexit.cli.payouts", "Refund payouts: destinations, pain.001, pain.002."),
        "ledger": ("simexit.cli.ledger", "The settlement ledger: export, trial balance."),
        "campaigns": ("simexit.cli.campaigns", "Campaigns: bulk actions over lines."),
    }
    import importlib

    for name, (module_name, help_text) in optional.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        sub = module.app
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name, help=help_text)


_register()


def run(command: typer.Typer) -> None:
    """Run a Typer app as a program: an expected error (a bad setting, a taken port, a broken
    policy pack, a refused action) is one red line on stderr and exit status 2, no traceback."""
    try:
        command()
    except (ConfigurationError, DomainError, PolicyPackError) as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        sys.exit(2)


def main() -> None:
    run(app)
