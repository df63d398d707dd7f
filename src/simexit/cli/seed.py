from __future__ import annotations

import typer

from simexit import migrate
from simexit.clock import utc_now
from simexit.runtime import Runtime, runtime_from_env
from simexit.seed.demo import DEMO_PASSWORD, SeedResult, is_seeded, seed_demo

app = typer.Typer(no_args_is_help=True)


def seed_if_empty(runtime: Runtime) -> SeedResult | None:
    """Migrate, then seed the demo data once. Returns what was seeded, or None if it already was."""
    migrate.upgrade(runtime.db.engine)
    with runtime.db.session() as session:
        if is_seeded(session):
            return None
        return seed_demo(
            session,
            packs=runtime.packs,
            now=utc_now(),
            password_hash=runtime.passwords.hash(DEMO_PASSWORD),
        )


def print_seed(result: SeedResult) -> None:
    typer.echo(f"seeded {result.operators} demo operators and {result.lines} lines")
    typer.echo(
        f"staff sign-in: agent@telenor-no.demo (also supervisor@, admin@; any operator code) / password {DEMO_PASSWORD}"
    )
    for code, key in result.api_keys.items():
        typer.echo(f"API key {code}: {key}")
    typer.echo(f"API key telenor-no reseller: {result.reseller_key}")
    typer.echo("keys are shown once; `simexit keys create` makes more")


@app.command()
def demo() -> None:
    """Create the demo operators, subscribers and lines (once)."""
    result = seed_if_empty(runtime_from_env())
    if result is None:
        typer.echo("demo data already present; nothing to do")
        return
    print_seed(result)
