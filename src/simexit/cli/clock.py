"""`simexit clock`: a sandbox operator's test clock: show it, advance it (made at now if none).

The same as `POST /v1/test-clocks/{id}/advance`: only forward, an audit row, then the scheduler's
work that came due for that operator runs before the command returns."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from simexit.access.repository import operator_by_code
from simexit.clock import utc_now
from simexit.errors import InvalidInput, NotFound
from simexit.models import Operator, TestClock
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime, runtime_from_env
from simexit.testclocks import due, repository, service

app = typer.Typer(no_args_is_help=True, help="Test clocks of sandbox operators.")


def _actor(runtime: Runtime, code: str) -> tuple[Actor, uuid.UUID]:
    with runtime.db.read_session() as session:
        operator = operator_by_code(session, code)
        if operator is None:
            raise NotFound(f"no operator with code {code!r}", field="--operator")
        return Actor(ActorType.cli, "clock", operator_id=operator.id), operator.id


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"--to: {value!r} is not an ISO 8601 time (e.g. 2026-12-17T09:00:00Z)", field="--to"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput("--to needs a time zone (e.g. 2026-12-17T09:00:00Z)", field="--to")
    return parsed


@app.command()
def show(
    operator: Annotated[
        str | None, typer.Option(help="Operator code; every clock when left out.")
    ] = None,
) -> None:
    """The test clocks and their frozen time."""
    runtime = runtime_from_env()
    table = Table("operator", "clock id", "name", "frozen time (UTC)", "created")
    with runtime.db.read_session() as session:
        statement = (
            select(TestClock, Operator.code)
            .join(Operator, Operator.id == TestClock.operator_id)
            .order_by(Operator.code)
        )
        if operator is not None:
            statement = statement.where(Operator.code == operator)
        rows = session.execute(statement).all()
        for clock, code in rows:
            table.add_row(
                code,
                str(clock.id),
                clock.name,
                clock.frozen_time.isoformat(timespec="seconds"),
                clock.created_at.isoformat(timespec="seconds"),
            )
    if not rows:
        typer.echo("no test clocks; `simexit clock advance --operator CODE --days N` makes one")
        return
    Console().print(table)


@app.command()
def advance(
    operator: Annotated[str, typer.Option(help="A sandbox operator's code, e.g. telenor-no.")],
    days: Annotated[int | None, typer.Option(min=1, help="Move this many days forward.")] = None,
    to: Annotated[
        str | None, typer.Option(help="Or move to this time (ISO 8601 with a time zone).")
    ] = None,
) -> None:
    """Move the operator's clock forward and run the work that came due (a clock is made at
    the current time first when the operator has none)."""
    runtime = runtime_from_env()
    actor, operator_id = _actor(runtime, operator)
    wall = utc_now()
    with runtime.db.session() as session:
        clock = repository.clock_of_operator(session, operator_id)
        if clock is None:
            clock = service.create_clock(session, actor=actor, now=wall, name="cli")
            typer.echo(f"made a test clock for {operator} at {wall.isoformat(timespec='seconds')}")
        moved = service.advance_clock(
            session, actor=actor, clock_id=clock.id, now=wall, to=_parse_time(to), days=days
        )
        moved_from, frozen = moved.moved_from, moved.clock.frozen_time
    runtime.prepare_jobs_once()
    work = due.run_due_work(
        runtime.db,
        operator_id=operator_id,
        clock_time=frozen,
        wall=wall,
        worker_id=f"{socket.gethostname()}:{os.getpid()}:clock",
    )
    typer.echo(
        f"{operator}: {moved_from.isoformat(timespec='seconds')} -> "
        f"{frozen.isoformat(timespec='seconds')}"
    )
    typer.echo(
        f"ran {len(work.scans)} scans and {work.jobs_run} jobs; {work.jobs_pending} due jobs "
        "left for the worker"
    )
    if work.scans_failed:
        typer.secho(f"scans that failed: {', '.join(work.scans_failed)}", fg=typer.colors.RED)
