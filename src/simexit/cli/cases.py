from __future__ import annotations

import uuid
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from simexit.audit import service as audit
from simexit.cases import repository
from simexit.cases import service as case_service
from simexit.cases.states import CaseStatus, mermaid_diagram
from simexit.clock import utc_now
from simexit.principals import Actor, ActorType
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True)
console = Console()


def _cli_actor(user: str) -> Actor:
    return Actor(ActorType.cli, user)


def _case_id(session_value: str) -> uuid.UUID:
    try:
        return uuid.UUID(session_value)
    except ValueError:
        raise typer.BadParameter(f"{session_value!r} is not a case id (UUID)") from None


@app.command("list")
def list_cases(
    status: list[str] = typer.Option([], "--status", "-s", help="Filter by status (repeatable)."),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Cases, newest first."""
    for value in status:
        if value not in CaseStatus.__members__:
            raise typer.BadParameter(
                f"{value!r} is not one of {', '.join(CaseStatus)}", param_hint="--status"
            )
    runtime = runtime_from_env()
    with runtime.db.read_session() as session:
        rows = repository.list_cases(session, _cli_actor("list"), statuses=status, limit=limit)
        table = Table("reference", "id", "type", "status", "effective", "SLA due")
        for case in rows:
            table.add_row(
                case.reference,
                str(case.id),
                case.type,
                case.status,
                str(case.effective_date or ""),
                str(case.sla_due_date or ""),
            )
    console.print(table)


@app.command()
def show(case_id: str) -> None:
    """One case with its timeline."""
    runtime = runtime_from_env()
    with runtime.db.read_session() as session:
        case = repository.get_case(session, _cli_actor("show"), _case_id(case_id))
        console.print(
            f"[bold]{case.reference}[/] {case.type} via {case.channel}: [bold]{case.status}[/]"
        )
        console.print(
            f"effective {case.effective_date}  billing end {case.billing_end_date}  SLA due {case.sla_due_date}"
        )
        for blocker in case.blockers:
            console.print(f"  blocker: {blocker.code} {blocker.params}")
        for reason in case.review_reasons:
            console.print(f"  review: {reason.code} {reason.params}")
        for event in audit.events_for(session, subject_type="case", subject_id=case.id):
            console.print(
                f"  {event.at:%Y-%m-%d %H:%M:%S} {event.action:<28} {event.actor_type}:{event.actor_id} {event.changes.get('status', '')}"
            )


def _decide(action: str, case_id: str, user: str, **kwargs: str | None) -> None:
    runtime = runtime_from_env()
    runtime.prepare_notifications()  # a decision tells the subscriber on every configured channel
    with runtime.db.session() as session:
        function = getattr(case_service, action)
        case = function(
            session,
            runtime.cases,
            actor=_cli_actor(user),
            case_id=_case_id(case_id),
            now=utc_now(),
            **kwargs,
        )
        console.print(f"{case.reference}: {case.status}")


@app.command()
def approve(
    case_id: str,
    note: str = typer.Option(None),
    user: str = typer.Option("operator", envvar="USER"),
) -> None:
    """Approve a case in review."""
    _decide("approve", case_id, user, note=note)


@app.command()
def reject(
    case_id: str,
    reason: str = typer.Option(
        ..., help="Reason code, e.g. identity_not_confirmed, unpaid_bills, other."
    ),
    note: str = typer.Option(None),
    user: str = typer.Option("operator", envvar="USER"),
) -> None:
    """Reject a case with a reason."""
    _decide("reject", case_id, user, reason_code=reason, note=note)


@app.command()
def withdraw(
    case_id: str,
    note: str = typer.Option(None),
    user: str = typer.Option("operator", envvar="USER"),
) -> None:
    """Withdraw a case before its effective date (on the subscriber's behalf)."""
    _decide("withdraw", case_id, user, note=note)


@app.command()
def retry(
    case_id: str,
    reason: str = typer.Option(None, "--reason"),
    user: str = typer.Option("operator", envvar="USER"),
) -> None:
    """Run a failed case's teardown again."""
    _decide("retry", case_id, user, note=reason)


@app.command()
def diagram(
    output: Path = typer.Option(Path("docs/workflow.md"), help="Where to write the Markdown."),
) -> None:
    """Write the lifecycle diagram (Mermaid), generated from the transition table."""
    from simexit.cases.workflow_doc import render_workflow_doc

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_workflow_doc(mermaid_diagram()), encoding="utf-8")
    typer.echo(f"wrote {output}")
