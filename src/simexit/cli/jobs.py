"""`simexit jobs list|show|retry`: look at the queue and put dead jobs back."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simexit.audit import service as audit
from simexit.clock import utc_now
from simexit.config import get_settings
from simexit.db import Database
from simexit.errors import DomainError
from simexit.jobs import admin
from simexit.principals import Actor, ActorType

app = typer.Typer(help="Inspect and retry background jobs.", no_args_is_help=True)
console = Console()

# Who the audit trail names when an operator of the installation retries a job from a shell.
CLI_ACTOR = Actor(ActorType.cli, "jobs")


def _database() -> Database:
    return Database(get_settings().database_url)


def _parse_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise typer.BadParameter(f"{raw!r} is not a job id (a UUID)") from None


@app.command("list")
def list_command(
    dead: Annotated[bool, typer.Option("--dead", help="Only jobs that gave up.")] = False,
    queued: Annotated[bool, typer.Option("--queued", help="Only jobs waiting to run.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    if dead and queued:
        raise typer.BadParameter("use --dead or --queued, not both")
    status = "dead" if dead else "queued" if queued else None
    db = _database()
    with db.read_session() as session:
        counts = admin.count_by_status(session)
        jobs = admin.list_jobs(session, status=status, limit=limit)
        table = Table("id", "name", "status", "attempts", "run at", "last error")
        for job in jobs:
            table.add_row(
                str(job.id),
                job.name,
                job.status,
                f"{job.attempts}/{job.max_attempts}",
                job.run_at.isoformat(timespec="seconds"),
                (job.last_error or "")[:80],
            )
    db.dispose()
    console.print(table)
    console.print(" ".join(f"{name}: {count}" for name, count in counts.items()))


@app.command("show")
def show_command(job_id: str) -> None:
    db = _database()
    try:
        with db.read_session() as session:
            job = admin.get_job(session, _parse_id(job_id))
            details = {
                "id": str(job.id),
                "name": job.name,
                "status": job.status,
                "attempts": job.attempts,
                "max_attempts": job.max_attempts,
                "run_at": job.run_at.isoformat(),
                "created_at": job.created_at.isoformat(),
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
                "locked_by": job.locked_by,
                "dedup_key": job.dedup_key,
                "last_error": job.last_error,
                "payload": job.payload,
            }
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    console.print_json(json.dumps(details))


@app.command("retry")
def retry_command(job_id: str) -> None:
    db = _database()
    try:
        with db.session() as session:
            job = audit.retry_job_audited(
                session, job_id=_parse_id(job_id), now=utc_now(), actor=CLI_ACTOR
            )
            name = job.name
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    console.print(f"Job {job_id} ({name}) is queued again.")
