"""`simexit payouts`: where refunds go, the pain.001 files that pay them, the bank's answers.

    simexit payouts destination NO-2026-000123 --operator telenor-no --kind no_account \\
        --holder "Kari Nordmann" --account 86011117947
    simexit payouts export --operator telenor-no --currency NOK --out refunds.xml
    simexit payouts import pain002.xml --operator telenor-no
    simexit payouts list --operator telenor-no --status returned

Each command is one transaction. `export` writes the file only after the batch is committed;
the same file can be fetched again from the API (`GET /v1/payout-batches/{id}/file`).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simexit.clock import utc_now
from simexit.errors import InvalidFields
from simexit.kit.money import Money
from simexit.principals import Actor, ActorType
from simexit.refunds import repository, service
from simexit.refunds.states import PayoutStatus
from simexit.runtime import runtime_from_env

app = typer.Typer(no_args_is_help=True, help="Refund payouts: destinations, files, answers.")
CLI_ACTOR = Actor(ActorType.cli, "payouts")
Operator = Annotated[str, typer.Option(help="Operator code, e.g. telenor-no.")]


@app.command()
def destination(
    reference: Annotated[str, typer.Argument(help="The case reference, e.g. NO-2026-000123.")],
    operator: Operator,
    kind: Annotated[
        str, typer.Option(help="no_account, iban, us_account, ru_account, card or line.")
    ],
    holder: Annotated[str, typer.Option(help="The account holder's name.")],
    account: Annotated[str, typer.Option(help="Account number, IBAN, card token or line id.")],
    bank_id: Annotated[str, typer.Option(help="BIC, ABA routing number or Russian BIC.")] = "",
) -> None:
    """Record where a case's refund is paid (as said on the phone or in a letter)."""
    runtime = runtime_from_env()
    values = {"kind": kind, "holder_name": holder, "account": account, "bank_id": bank_id}
    try:
        with runtime.db.session() as session:
            found = service.operator_by_code(session, operator)
            actor = Actor(ActorType.cli, "payouts", operator_id=found.id)
            case = service.case_by_reference(session, actor, reference)
            view = service.give_destination(
                session, runtime.cases, actor=actor, case_id=case, values=values, now=utc_now()
            )
    except InvalidFields as refused:
        for field, rule, detail, _params in refused.problems:
            typer.secho(f"error: {field.removeprefix('body.')}: {detail} ({rule})", err=True)
        raise typer.Exit(2) from None
    status = view.payout_status.value if view.payout_status else "opens when the case settles"
    typer.echo(f"{reference}: refund to {view.masked} (payout: {status})")


@app.command()
def export(
    operator: Operator,
    currency: Annotated[str, typer.Option(help="One currency per file, e.g. NOK.")],
    out: Annotated[Path, typer.Option(help="Where to write the pain.001 file.")],
    execution_date: Annotated[
        str, typer.Option(help="Requested execution date (YYYY-MM-DD); default: tomorrow.")
    ] = "",
) -> None:
    """Write the scheduled bank refunds of one operator and currency as one pain.001 file."""
    runtime = runtime_from_env()
    now = utc_now()
    when = date.fromisoformat(execution_date) if execution_date else now.date() + timedelta(1)
    if out.exists():
        typer.secho(f"error: {out} exists; choose another file", err=True)
        raise typer.Exit(2)
    with runtime.db.session() as session:
        found = service.operator_by_code(session, operator)
        debtor = runtime.gateways.for_operator(found.code).payments.debtor(currency)
        exported = service.export_batch(
            session,
            runtime.cases,
            actor=CLI_ACTOR,
            operator=found,
            currency=currency,
            debtor=debtor,
            execution_date=when,
            now=now,
        )
        batch = exported.batch
        summary = (
            f"{batch.message_id}: {batch.transfer_count} refunds, "
            f"{Money(batch.total_minor, currency)}, to be paid {when}, sha256 {batch.sha256}"
        )
    out.write_bytes(exported.document)
    typer.echo(f"wrote {out}\n{summary}")


@app.command(name="import")
def import_report(
    file: Annotated[Path, typer.Argument(help="The bank's pain.002 status report.")],
    operator: Operator,
) -> None:
    """Settle or return the refunds of a file by the bank's status report."""
    runtime = runtime_from_env()
    data = file.read_bytes()
    with runtime.db.session() as session:
        found = service.operator_by_code(session, operator)
        outcome = service.import_status_report(
            session, actor=CLI_ACTOR, operator_id=found.id, data=data, now=utc_now()
        )
    typer.echo(
        f"{outcome.message_id}: {outcome.settled} settled, {outcome.returned} returned, "
        f"{outcome.pending} still on their way, {outcome.unchanged} unchanged"
    )
    if outcome.unknown:
        typer.secho(f"not in that file: {', '.join(outcome.unknown[:10])}", fg=typer.colors.YELLOW)


@app.command(name="list")
def list_payouts(
    operator: Operator,
    status: Annotated[PayoutStatus | None, typer.Option(help="Only payouts in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Payouts, newest first, with the case and the masked destination."""
    runtime = runtime_from_env()
    with runtime.db.read_session() as session:
        found = service.operator_by_code(session, operator)
        actor = Actor(ActorType.cli, "payouts", operator_id=found.id)
        rows = repository.list_payouts(session, actor, status=status, after=None, limit=limit)
        table = Table("case", "amount", "status", "destination", "files", "reason", "updated")
        for payout, reference, masked in rows:
            table.add_row(
                reference,
                str(Money(payout.amount_minor, payout.currency)),
                payout.status.value,
                masked or "—",
                str(payout.files_sent),
                payout.return_reason or "",
                f"{payout.updated_at:%Y-%m-%d %H:%M}",
            )
    Console().print(table)
