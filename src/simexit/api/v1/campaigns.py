"""Campaigns (`/v1/campaigns`): one action over a selection of lines, with a dry run, a second
person's approval, chunked execution by the workers, progress, pause, resume, abort and a
per-line CSV report (docs/campaigns.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ClockDep, ReadSessionDep, RuntimeDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.paging import CURSOR_PATTERN, decode_cursor, page_of
from simexit.api.v1.schemas import Input
from simexit.api.validators import E164, BoundedDate, BoundedTimestamp, LongText, ShortText
from simexit.campaigns import service
from simexit.campaigns.presets import PresetKind, Step
from simexit.campaigns.rules import Action, Selection
from simexit.lines.states import LineStatus, SuspensionFlag
from simexit.models import Campaign

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

Language = Literal["en", "nb", "ru", "zh"]
Name = Annotated[ShortText, Field(min_length=1, max_length=120)]
Label = Annotated[ShortText, Field(min_length=1, max_length=120)]


class SelectionIn(Input):
    """Which of your lines; every criterion given must hold. None given: every line."""

    brand: Label | None = None
    product: Label | None = Field(None, description="The line's product name.")
    statuses: list[LineStatus] = Field(default_factory=list, max_length=10)
    kind: Literal["physical_sim", "esim"] | None = None
    plan: Literal["prepaid", "postpaid"] | None = None
    last_topup_before: BoundedDate | None = Field(
        None, description="Lines last topped up before this day (or never)."
    )
    last_activity_before: BoundedDate | None = Field(
        None, description="Lines whose last chargeable activity was before this day (or never)."
    )
    sims_over: int | None = Field(
        None, ge=0, le=1000, description="Lines of subscribers holding more live lines than this."
    )
    msisdns: list[E164] = Field(default_factory=list, max_length=10000)

    def rules(self) -> Selection:
        return Selection(
            brand=self.brand,
            product=self.product,
            statuses=tuple(s.value for s in self.statuses),
            kind=self.kind,
            plan=self.plan,
            last_topup_before=self.last_topup_before,
            last_activity_before=self.last_activity_before,
            sims_over=self.sims_over,
            msisdns=tuple(dict.fromkeys(self.msisdns)),
        )


class CampaignCreate(Input):
    name: Name
    action: Action = Field(description="terminate, suspend, resume or notify.")
    selection: SelectionIn = Field(default_factory=SelectionIn)
    flag: SuspensionFlag = Field(
        SuspensionFlag.regulatory,
        description="The suspension reason a suspend sets or a resume clears.",
    )
    messages: dict[Language, LongText] = Field(
        default_factory=dict,
        description="For notify: the text by language; a subscriber's own language, else en.",
    )
    start_at: BoundedTimestamp | None = Field(
        None, description="When the run starts once approved; at once when left out."
    )


class CampaignFromPack(Input):
    """A draft from a rule of your policy pack (docs/campaigns.md): dormant_sweep from
    `prepaid.inactivity`, sim_limit from a `max_sim_count` regulatory gate, brand_closure of one
    of the pack's brands. `step` warn tells the subscribers first; act does what the rule says."""

    preset: PresetKind
    step: Step = Step.act
    warn_days: int = Field(
        30, ge=1, le=365, description="How long before the action the warning goes out."
    )
    brand: Label | None = Field(None, description="For brand_closure: which brand.")
    rule_index: int | None = Field(
        None, ge=0, le=50, description="For dormant_sweep: which inactivity rule (default: last)."
    )
    start_at: BoundedTimestamp | None = None


class ProgressRead(BaseModel):
    counts: dict[str, int] = Field(description="Lines by outcome: pending, done, skipped...")
    skipped: dict[str, int] = Field(description="Skipped lines by reason.")
    total: int
    rate_per_second: float | None
    eta_seconds: int | None


class CampaignRead(BaseModel):
    id: uuid.UUID
    name: str
    action: str
    status: str = Field(description="draft, approved, running, paused, aborted or done.")
    selection: dict[str, Any]
    params: dict[str, Any]
    start_at: datetime | None
    created_by: str
    approved_by: str | None
    created_at: datetime
    approved_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    progress: ProgressRead
    lines: str = Field(description="The URL of the per-line outcome report, as CSV.")

    @classmethod
    def of(cls, session: Session, campaign: Campaign, now: datetime) -> CampaignRead:
        progress = service.progress_of(session, campaign, now=now)
        return cls(
            id=campaign.id,
            name=campaign.name,
            action=campaign.action,
            status=campaign.status,
            selection=campaign.selection,
            params=campaign.params,
            start_at=campaign.start_at,
            created_by=campaign.created_by,
            approved_by=campaign.approved_by,
            created_at=campaign.created_at,
            approved_at=campaign.approved_at,
            started_at=campaign.started_at,
            finished_at=campaign.finished_at,
            progress=ProgressRead(
                counts=progress.counts,
                skipped=service.skipped_by_reason(session, campaign),
                total=progress.total,
                rate_per_second=progress.rate_per_second,
                eta_seconds=progress.eta_seconds,
            ),
            lines=f"/v1/campaigns/{campaign.id}/lines",
        )


class CampaignList(BaseModel):
    items: list[CampaignRead]
    next_cursor: str | None


class DryRunRead(BaseModel):
    selected: int
    acted: int = Field(description="Lines the run would act on now.")
    blocked: dict[str, int] = Field(description="Lines it would leave alone, by reason.")
    refunds_minor: dict[str, int] = Field(description="Refunds owed, by currency (terminate).")
    fees_minor: dict[str, int] = Field(description="Amounts due, by currency (terminate).")
    policy_blocked: dict[str, int] = Field(
        description="Of the lines evaluated, those the policy would block, by blocker."
    )
    evaluated: int = Field(description="Lines whose termination the policy evaluated in full.")
    sample: list[dict[str, Any]]


@router.post(
    "",
    name="create_campaign",
    status_code=201,
    response_model=CampaignRead,
    responses=responses(401, 403, 409, 422),
)
async def create_campaign(body: CampaignCreate, call: TransactionDep) -> JSONResponse:
    """A draft campaign; a dry run shows what it would do; a second person approves it."""
    params: dict[str, Any] = {"flag": body.flag.value}
    if body.messages:
        params["messages"] = dict(body.messages)

    def effect(session: Session, now: datetime) -> Reply:
        campaign = service.create(
            session,
            actor=call.actor,
            name=body.name,
            action=body.action,
            selection=body.selection.rules(),
            params=params,
            start_at=body.start_at,
            now=now,
        )
        read = CampaignRead.of(session, campaign, now)
        return Reply(read, 201, location=f"/v1/campaigns/{campaign.id}")

    return await call.respond(effect)


@router.post(
    "/from-pack",
    name="create_campaign_from_pack",
    status_code=201,
    response_model=CampaignRead,
    responses=responses(401, 403, 409, 422),
)
async def create_campaign_from_pack(
    body: CampaignFromPack, call: TransactionDep, runtime: RuntimeDep
) -> JSONResponse:
    """A draft campaign read from your pack's rule; 422 naming `preset` (or `brand`) when the
    pack has no such rule."""

    def effect(session: Session, now: datetime) -> Reply:
        campaign = service.create_from_pack(
            session,
            runtime.cases,
            actor=call.actor,
            kind=body.preset,
            step=body.step,
            warn_days=body.warn_days,
            brand=body.brand,
            rule_index=body.rule_index,
            start_at=body.start_at,
            now=now,
        )
        read = CampaignRead.of(session, campaign, now)
        return Reply(read, 201, location=f"/v1/campaigns/{campaign.id}")

    return await call.respond(effect)


@router.get(
    "", name="list_campaigns", response_model=CampaignList, responses=responses(401, 403, 422)
)
def list_campaigns(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=200, json_schema_extra={"pattern": CURSOR_PATTERN})
    ] = None,
) -> CampaignList:
    """Newest first."""
    after = decode_cursor(cursor) if cursor else None
    found = service.list_campaigns(session, actor, limit=limit + 1, after=after)
    page, next_cursor, _next_url = page_of(request, found, limit)
    now = clock()
    return CampaignList(
        items=[CampaignRead.of(session, c, now) for c in page], next_cursor=next_cursor
    )


@router.get(
    "/{campaign_id}",
    name="get_campaign",
    response_model=CampaignRead,
    responses=responses(401, 403, 404, 422),
)
def get_campaign(
    campaign_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep, clock: ClockDep
) -> CampaignRead:
    """The campaign and its progress: counts by outcome, rate, time left."""
    return CampaignRead.of(session, service.get(session, actor, campaign_id), clock())


@router.get(
    "/{campaign_id}/dry-run",
    name="dry_run_campaign",
    response_model=DryRunRead,
    responses=responses(401, 403, 404, 422),
)
def dry_run_campaign(
    campaign_id: uuid.UUID,
    session: ReadSessionDep,
    actor: ActorDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> DryRunRead:
    """What a run would do now, line by line under the run's rules; nothing is written."""
    result = service.dry_run(
        session, runtime.cases, actor=actor, campaign_id=campaign_id, now=clock()
    )
    return DryRunRead(**result.as_dict())


def _change(name: str, summary: str) -> None:
    change = getattr(service, name)

    async def endpoint(campaign_id: uuid.UUID, call: TransactionDep) -> JSONResponse:
        def effect(session: Session, now: datetime) -> Reply:
            campaign = change(session, actor=call.actor, campaign_id=campaign_id, now=now)
            return Reply(CampaignRead.of(session, campaign, now), 200)

        return await call.respond(effect)

    endpoint.__doc__ = summary
    router.add_api_route(
        f"/{{campaign_id}}/{name}",
        endpoint,
        methods=["POST"],
        name=f"{name}_campaign",
        response_model=CampaignRead,
        responses=responses(401, 403, 404, 409, 422),
    )


_change(
    "approve",
    "Four eyes: a supervisor or admin other than its creator approves; the run starts at "
    "`start_at`. The creator is refused (409 four_eyes_same_person), so is an API key or an "
    "agent (403 supervisor_required).",
)
_change("pause", "Chunks in flight finish; no more start until resume.")
_change("resume", "The run goes on from the lines not yet acted on.")
_change("abort", "Stop for good: lines not yet acted on are marked aborted and left alone.")


@router.get(
    "/{campaign_id}/lines",
    name="get_campaign_lines",
    responses={
        200: {"description": "Each selected line's outcome.", "content": {"text/csv": {}}},
        **responses(401, 403, 404, 422),
    },
    response_class=StreamingResponse,
)
def get_campaign_lines(
    campaign_id: uuid.UUID, runtime: RuntimeDep, actor: ActorDep
) -> StreamingResponse:
    """line_id, msisdn, outcome, reason, case_id, acted_at: one row per selected line."""
    with runtime.db.read_session() as session:
        service.get(session, actor, campaign_id)  # 404 now, not half-way through a body

    def rows() -> Iterator[str]:
        yield ",".join(service.REPORT_COLUMNS) + "\r\n"
        with runtime.db.read_session() as session:
            for entry in service.report(session, actor, campaign_id):
                yield _csv_line(service.report_row(entry))

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8")


def _csv_line(cells: tuple[str, ...]) -> str:
    quoted = (
        '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell
        for cell in cells
    )
    return ",".join(quoted) + "\r\n"
