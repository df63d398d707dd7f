"""`simexit campaigns ...`: create, dry-run, approve, pause, resume, abort, show, watch, lines.

Every command acts as a named staff user (`--as EMAIL`): four eyes hold on the command line as
in the console, so the approver must be another user with the supervisor or admin role."""

from __future__ import annotations

import csv
import json
import sys
import time
import uuid
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from sqlalchemy.orm import Session

from simexit.campaigns import presets, service
from simexit.campaigns.rules import Action, Selection
from simexit.clock import utc_now
from simexit.lines.states import SuspensionFlag
from simexit.models import Campaign
from simexit.principals import Actor, ActorType, StaffRole
from simexit.runtime import runtime_from_env
from simexit.staff import service as staff_service

app = typer.Typer(no_args_is_help=True, help="Campaigns: bulk actions over lines.")
As = Annotated[str, typer.Option("--as", help="The staff user's e-mail address you act as.")]
CampaignId = Annotated[uuid.UUID, typer.Argument(help="The campaign's id.")]


def _actor(session: Session, email: str) -> Actor:
    staff = staff_service.staff_by_email(session, email)
    if staff.disabled_at is not None:
        raise typer.BadParameter(f"{email} is disabled", param_hint="--as")
    return Actor(ActorType.agent, staff.email, staff.operator_id, role=StaffRole(staff.role))


def _print(campaign: Campaign, session: Session) -> None:
    progress = service.progress_of(session, campaign, now=utc_now())
    typer.echo(
        json.dumps(
            {
                "id": str(campaign.id),
                "name": campaign.name,
                "action": campaign.action,
                "status": campaign.status,
                "selection": campaign.selection,
                "created_by": campaign.created_by,
                "approved_by": campaign.approved_by,
                "counts": progress.counts,
                "skipped": service.skipped_by_reason(session, campaign),
                "rate_per_second": progress.rate_per_second,
                "eta_seconds": progress.eta_seconds,
            },
            indent=2,
        )
    )


@app.command("create")
def create(
    who: As,
    name: Annotated[str, typer.Option(help="What the campaign is for.")],
    action: Annotated[Action, typer.Option(help="terminate, suspend, resume or notify.")],
    brand: Annotated[str | None, typer.Option()] = None,
    product: Annotated[str | None, typer.Option()] = None,
    status: Annotated[list[str] | None, typer.Option(help="Line status (repeatable).")] = None,
    kind: Annotated[str | None, typer.Option(help="physical_sim or esim.")] = None,
    plan: Annotated[str | None, typer.Option(help="prepaid or postpaid.")] = None,
    last_topup_before: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    last_activity_before: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    sims_over: Annotated[int | None, typer.Option(min=0)] = None,
    msisdns: Annotated[
        typer.FileText | None, typer.Option(help="A file of numbers, one a line (E.164).")
    ] = None,
    flag: Annotated[SuspensionFlag, typer.Option()] = SuspensionFlag.regulatory,
    message: Annotated[str | None, typer.Option(help="For notify: the text (English).")] = None,
) -> None:
    """A draft campaign. Then `dry-run`, and another user `approve`s it."""
    numbers = tuple(n.strip() for n in msisdns if n.strip()) if msisdns else ()
    selection = Selection(
        brand=brand,
        product=product,
        statuses=tuple(status or ()),
        kind=kind,
        plan=plan,
        last_topup_before=_day(last_topup_before),
        last_activity_before=_day(last_activity_before),
        sims_over=sims_over,
        msisdns=numbers,
    )
    params: dict[str, object] = {"flag": flag.value}
    if message:
        params["messages"] = {"en": message}
    with runtime_from_env().db.session() as session:
        campaign = service.create(
            session,
            actor=_actor(session, who),
            name=name,
            action=action,
            selection=selection,
            params=params,
            start_at=None,
            now=utc_now(),
        )
        _print(campaign, session)


@app.command("from-pack")
def from_pack(
    who: As,
    preset: Annotated[presets.PresetKind, typer.Argument(help="The pack rule to read.")],
    step: Annotated[presets.Step, typer.Option(help="warn first, then act.")] = presets.Step.act,
    warn_days: Annotated[int, typer.Option(min=1, max=365)] = 30,
    brand: Annotated[str | None, typer.Option(help="For brand_closure.")] = None,
    rule_index: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """A draft from your pack: dormant_sweep, sim_limit or brand_closure."""
    runtime = runtime_from_env()
    with runtime.db.session() as session:
        campaign = service.create_from_pack(
            session, runtime.cases, actor=_actor(session, who), kind=preset, step=step,
            warn_days=warn_days, brand=brand, rule_index=rule_index, start_at=None, now=utc_now(),
        )  # fmt: skip
        _print(campaign, session)


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@app.command("dry-run")
def dry_run(campaign_id: CampaignId, who: As) -> None:
    """What a run would do now. Writes nothing."""
    runtime = runtime_from_env()
    with runtime.db.read_session() as session:
        result = service.dry_run(
            session, runtime.cases, actor=_actor(session, who), campaign_id=campaign_id,
            now=utc_now(),
        )  # fmt: skip
    typer.echo(json.dumps(result.as_dict(), indent=2))


def _change(name: str, help_text: str) -> None:
    def command(campaign_id: CampaignId, who: As) -> None:
        with runtime_from_env().db.session() as session:
            campaign = getattr(service, name)(
                session, actor=_actor(session, who), campaign_id=campaign_id, now=utc_now()
            )
            _print(campaign, session)

    command.__doc__ = help_text
    app.command(name)(command)


_change("approve", "Approve another user's campaign (supervisor or admin).")
_change("pause", "Chunks in flight finish; no more start.")
_change("resume", "Go on with the lines not yet acted on.")
_change("abort", "Stop for good; lines not yet acted on are left alone.")


@app.command("show")
def show(campaign_id: CampaignId, who: As) -> None:
    with runtime_from_env().db.read_session() as session:
        _print(service.get(session, _actor(session, who), campaign_id), session)


@app.command("watch")
def watch(
    campaign_id: CampaignId,
    who: As,
    every: Annotated[float, typer.Option(min=0.2, help="Seconds between looks.")] = 1.0,
) -> None:
    """A progress bar until the campaign is done, aborted or paused (the workers run it)."""
    runtime = runtime_from_env()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[lines]} {task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("campaign", total=None, rate="", lines="")
        while True:
            with runtime.db.read_session() as session:
                campaign = service.get(session, _actor(session, who), campaign_id)
                progress = service.progress_of(session, campaign, now=utc_now())
            rate = f"{progress.rate_per_second:,.0f} lines/s" if progress.rate_per_second else ""
            bar.update(
                task,
                total=progress.total or None,
                completed=progress.finished,
                rate=rate,
                lines=f"{progress.finished:,}/{progress.total:,} lines",
                description=campaign.status,
            )
            if campaign.status in {"done", "aborted", "paused"}:
                return
            time.sleep(every)


@app.command("lines")
def lines(campaign_id: CampaignId, who: As) -> None:
    """Each selected line's outcome, as CSV on standard output."""
    writer = csv.writer(sys.stdout)
    writer.writerow(service.REPORT_COLUMNS)
    with runtime_from_env().db.read_session() as session:
        for entry in service.report(session, _actor(session, who), campaign_id):
            writer.writerow(service.report_row(entry))
