"""Lines: look-up by number, one line, the preview of a request, a returned SIM."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.api.deps import ActorDep, ClockDep, ReadSessionDep, RuntimeDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.paging import CURSOR_PATTERN, decode_cursor, encode_cursor
from simexit.api.v1.schemas import (
    LineList,
    LineRead,
    Preview,
    SimReturnCreate,
    SuspensionFlagChange,
)
from simexit.api.validators import E164, E164_FORMAT, E164_PATTERN, BoundedDate, BoundedTimestamp
from simexit.cases import service as case_service
from simexit.cases.service import porting
from simexit.lines import repository as line_repository
from simexit.lines import service as line_service
from simexit.lines.states import LineStatus
from simexit.operators import clocks as operator_clocks
from simexit.policies.model import (
    CaseRequest,
    Channel,
    LineKind,
    Plan,
    RequestType,
    SettlementChoice,
)
from simexit.provisioning import repository as provisioning_repository
from simexit.provisioning.repository import LineFilter

router = APIRouter(prefix="/v1/lines", tags=["lines"])


@router.get("", name="find_lines", response_model=LineList, responses=responses(401, 403, 422))
def find_lines(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    msisdn: Annotated[
        E164 | None,
        Query(
            description="The number, E.164.",
            # On the parameter: a pattern constrains strings only, so null still passes.
            json_schema_extra={"format": E164_FORMAT, "pattern": E164_PATTERN},
        ),
    ] = None,
    status: Annotated[
        list[LineStatus] | None, Query(description="Repeat to match several.")
    ] = None,
    kind: LineKind | None = None,
    plan: Plan | None = None,
    brand: Annotated[str | None, Query(max_length=80)] = None,
    product: Annotated[str | None, Query(max_length=120, description="The product name.")] = None,
    msisdn_prefix: Annotated[
        str | None, Query(pattern=r"^\+[0-9]{1,15}$", description="E.g. +4791.")
    ] = None,
    updated_since: BoundedTimestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The `next_cursor` of the page before.",
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> LineList:
    """With only `msisdn`: the lines (with ICCID) behind a number, among those the caller may
    see. Otherwise the operator's lines by the filters, oldest change first, a page at a time
    (the admin scope): a BSS syncs forward with `updated_since` and the cursor."""
    filters = (status, kind, plan, brand, product, msisdn_prefix, updated_since, cursor)
    if msisdn is not None and all(f is None for f in filters):
        return LineList(
            items=[
                LineRead.of(line)
                for line in line_repository.find_lines_by_msisdn(session, actor, msisdn)
            ]
        )
    require_admin(actor)
    query = LineFilter(
        statuses=tuple(s.value for s in status or ()),
        kind=kind.value if kind else None,
        plan=plan.value if plan else None,
        brand=brand,
        product_name=product,
        msisdn=msisdn,
        msisdn_prefix=msisdn_prefix,
        updated_since=updated_since,
    )
    rows = provisioning_repository.list_lines(
        session, actor, query, after=decode_cursor(cursor) if cursor else None, limit=limit + 1
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1].updated_at, page[-1].id) if more else None
    return LineList(
        items=[LineRead.of(line) for line in page],
        next_cursor=next_cursor,
        next=str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None,
    )


@router.get(
    "/{line_id}", name="get_line", response_model=LineRead, responses=responses(401, 404, 422)
)
def get_line(line_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> LineRead:
    return LineRead.of(line_repository.get_line(session, actor, line_id))


@router.get(
    "/{line_id}/preview",
    name="preview_line",
    response_model=Preview,
    responses=responses(401, 404, 422),
)
def preview_line(
    line_id: uuid.UUID,
    session: ReadSessionDep,
    actor: ActorDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    type: RequestType = RequestType.terminate,
    channel: Channel = Channel.api,
    settlement: SettlementChoice | None = None,
    requested_date: BoundedDate | None = None,
) -> Preview:
    """Dates, fees, refund or forfeit, blockers, and the personal checklist, as codes. A line
    with a pending port-out also gets `port_out`: what the port will do instead."""
    request = CaseRequest(
        type=type, channel=channel, requested_date=requested_date, settlement=settlement
    )
    now = operator_clocks.now_for(session, actor.operator_id, clock())
    decision = case_service.preview(
        session, runtime.cases, actor=actor, line_id=line_id, request=request, now=now
    )
    line = line_repository.get_line(session, actor, line_id)
    return Preview.of(decision, porting.pending_port(session, runtime.cases, line=line, now=now))


@router.post(
    "/{line_id}/sim-return",
    name="record_sim_return",
    response_model=LineRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def record_sim_return(
    line_id: uuid.UUID, body: SimReturnCreate, call: TransactionDep
) -> JSONResponse:
    """Record that the physical SIM was returned (idempotent)."""

    def effect(session: Session, now: datetime) -> Reply:
        line = line_service.record_sim_return(
            session,
            actor=call.actor,
            line_id=line_id,
            now=now,
            returned_at=body.returned_at,
            note=body.note,
            request_id=call.request_id,
        )
        return Reply(LineRead.of(line))

    return await call.respond(effect)


@router.post(
    "/{line_id}/suspension-flags",
    name="change_suspension_flag",
    response_model=LineRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def change_suspension_flag(
    line_id: uuid.UUID, body: SuspensionFlagChange, call: TransactionDep
) -> JSONResponse:
    """Set or clear one suspension reason; the line is barred while any reason is set."""

    def effect(session: Session, now: datetime) -> Reply:
        line = line_service.set_suspension_flag(
            session,
            actor=call.actor,
            line_id=line_id,
            flag=body.flag,
            active=body.active,
            now=now,
            note=body.note,
            request_id=call.request_id,
        )
        return Reply(LineRead.of(line))

    return await call.respond(effect)
