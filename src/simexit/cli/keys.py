"""`simexit keys`: create, list and revoke API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simexit.access import service as key_service
from simexit.clock import utc_now
from simexit.principals import Actor, ActorType
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True, help="API keys.")
CLI_ACTOR = Actor(ActorType.cli, "keys")


@app.command()
def create(
    operator: Annotated[str, typer.Option(help="Operator code, e.g. telenor-no.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "integration",
    reseller: Annotated[
        str | None, typer.Option(help="Reseller id, for a key scoped to its lines.")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="A scope to grant (repeat for more): cases (the default), admin (set-up: "
            "provisioning, imports, staff, webhooks, test clocks), identity:attest (record an "
            "identity check the operator's systems made; operator keys only), * (every scope)."
        ),
    ] = None,
) -> None:
    """Make a key. It is shown once; only its hash is stored."""
    runtime = runtime_from_env()
    with runtime.db.session() as session:
        created = key_service.create_key(
            session,
            actor=CLI_ACTOR,
            operator_code=operator,
            name=name,
            now=utc_now(),
            reseller_id=uuid.UUID(reseller) if reseller else None,
            scopes=tuple(scope or key_service.DEFAULT_SCOPES),
        )
        typer.echo(created.secret)


@app.command("list")
def list_keys() -> None:
    runtime = runtime_from_env()
    table = Table("prefix", "operator", "reseller", "name", "scopes", "created", "revoked")
    with runtime.db.read_session() as session:
        for key, operator_code in key_service.list_keys(session):
            table.add_row(
                key.prefix,
                operator_code,
                str(key.reseller_id or ""),
                key.name,
                " ".join(key.scopes or ()),
                key.created_at.isoformat(timespec="seconds"),
                key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
            )
    Console().print(table)


@app.command()
def revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (sx_<prefix>_...).")],
) -> None:
    runtime = runtime_from_env()
    with runtime.db.session() as session:
        key = key_service.revoke_key(session, actor=CLI_ACTOR, prefix=prefix, now=utc_now())
        typer.echo(f"revoked {key.prefix} ({key.name})")
