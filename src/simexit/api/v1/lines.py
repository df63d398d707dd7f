"""Lines: look-up by number, one line, the preview of a request, a returned SIM."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ClockDep, ReadSessionDep, RuntimeDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.schemas import (
    LineList,
    LineRead,
    Preview,
    SimReturnCreate,
    SuspensionFlagChange,
)
from simexit.api.validators import E164, BoundedDate
from simexit.cases import service as case_service
from simexit.lines import repository as line_repository
from simexit.lines import service as line_service
from simexit.operators import clocks as operator_clocks
from simexit.policies.model import CaseRequest, Channel, RequestType, SettlementChoice

router = APIRouter(prefix="/v1/lines", tags=["lines"])


@router.get("", name="find_lines", response_model=LineList, responses=responses(401, 422))
def find_lines(
    msisdn: Annotated[E164, Query(description="The number, E.164.")],
    session: ReadSessionDep,
    actor: ActorDep,
) -> LineList:
    """The lines (with ICCID) behind a number, among those the caller may see."""
    return LineList(
        items=[
            LineRead.of(line)
            for line in line_repository.find_lines_by_msisdn(session, actor, msisdn)
        ]
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
    """Dates, fees, refund or forfeit, blockers, and the personal checklist, as codes."""
    request = CaseRequest(
        type=type, channel=channel, requested_date=requested_date, settlement=settlement
    )
    decision = case_service.preview(
        session,
        runtime.cases,
        actor=actor,
        line_id=line_id,
        request=request,
        now=operator_clocks.now_for(session, actor.operator_id, clock()),
    )
    return Preview.of(decision)


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
