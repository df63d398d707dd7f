from __future__ import annotations

import os
from pathlib import Path

import typer
from sqlalchemy import select

from simexit.audit import checkpoints as audit_checkpoints
from simexit.audit import sealing, signing
from simexit.audit.service import verify_operator
from simexit.clock import utc_now
from simexit.models import Operator
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True)


@app.command()
def verify() -> None:
    """Re-hash every operator's chain and check it against the signed checkpoints (stored and
    exported); exit 1 at any break, with one line per broken operator."""
    runtime = runtime_from_env()
    public_key = runtime.audit_public_key
    archive = runtime.audit_checkpoint_archive
    broken = False
    with runtime.db.read_session() as session:
        operators = session.scalars(select(Operator).order_by(Operator.code)).all()
        for operator in operators:
            code, operator_id = operator.code, operator.id
            found = audit_checkpoints.collect(
                session, operator_id, public_key=public_key, archive=archive
            )
            report = verify_operator(session, operator_id, checkpoints=found.trusted)
            for problem in found.problems:
                broken = True
                typer.secho(f"{code}: {problem.problem}", fg=typer.colors.RED)
            if report.ok:
                covered = max(found.trusted, default=0)
                waiting = f", {report.unsealed} waiting for their seal" if report.unsealed else ""
                typer.echo(
                    f"{code}: {report.events} events, chain intact, signed up to event "
                    f"{covered}{waiting}"
                )
            else:
                broken = True
                typer.secho(
                    f"{code}: broken at event {report.first_broken_seq}: {report.problem}",
                    fg=typer.colors.RED,
                )
    raise typer.Exit(1 if broken else 0)


@app.command()
def seal() -> None:
    """Link every committed, unsealed event into its operator's chain now (the worker does this
    continuously); print how many were linked."""
    runtime = runtime_from_env()
    done = sealing.seal_all(runtime.db)
    typer.echo(f"{sum(s.events for s in done)} events sealed")


@app.command()
def checkpoint() -> None:
    """Sign and export a checkpoint of every chain head that moved, now (the worker does this
    every few minutes); exit 1 when a sink refused one."""
    runtime = runtime_from_env()
    now = utc_now()
    with runtime.db.read_session() as session:
        planned = audit_checkpoints.plan(session, runtime.audit_signing_key, now=now)
    result = audit_checkpoints.export(planned, runtime.audit_checkpoint_sinks())
    with runtime.db.session() as session:
        audit_checkpoints.record(session, result.exported)
    typer.echo(f"{len(result.exported)} checkpoints exported")
    for failure in result.failures:
        typer.secho(f"error: {failure}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1 if result.failures else 0)


@app.command()
def keygen(
    path: Path = typer.Argument(..., help="where to write the new PEM private key"),
) -> None:
    """Write a new Ed25519 signing key (mode 0600) and print its public key."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        typer.secho(f"error: {path} exists; not overwriting a key", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(signing.generate_private_key_pem())
    key = signing.load_private_key(path)
    typer.echo(signing.public_key_pem(key).decode(), nl=False)
