"""Resellers of the caller's operator: create, list, read, rename, disable. Admin scope only."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.admin import Cursor, Limit, admin_operator, decode_cursor
from simexit.api.v1.admin_schemas import ResellerCreate, ResellerList, ResellerRead, ResellerUpdate
from simexit.api.v1.paging import page_of
from simexit.resellers import service

router = APIRouter(prefix="/v1/resellers", tags=["resellers"])


@router.post(
    "",
    name="create_reseller",
    status_code=201,
    response_model=ResellerRead,
    responses=responses(401, 403, 422),
)
async def create_reseller(body: ResellerCreate, call: TransactionDep) -> JSONResponse:
    def effect(session: Session, now: datetime) -> Reply:
        reseller = service.create_reseller(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            name=body.name,
            now=now,
            request_id=call.request_id,
        )
        return Reply(ResellerRead.of(reseller), 201, f"/v1/resellers/{reseller.id}")

    return await call.respond(effect)


@router.get(
    "", name="list_resellers", response_model=ResellerList, responses=responses(401, 403, 422)
)
def list_resellers(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    include_disabled: bool = True,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ResellerList:
    """Newest first."""
    rows = service.list_resellers(
        session,
        admin_operator(actor),
        include_disabled=include_disabled,
        after=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor, next_url = page_of(request, rows, limit)
    return ResellerList(
        items=[ResellerRead.of(r) for r in page], next_cursor=next_cursor, next=next_url
    )


@router.get(
    "/{reseller_id}",
    name="get_reseller",
    response_model=ResellerRead,
    responses=responses(401, 403, 404, 422),
)
def get_reseller(reseller_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> ResellerRead:
    return ResellerRead.of(service.get_reseller(session, admin_operator(actor), reseller_id))


@router.patch(
    "/{reseller_id}",
    name="rename_reseller",
    response_model=ResellerRead,
    responses=responses(401, 403, 404, 422),
)
async def rename_reseller(
    reseller_id: uuid.UUID, body: ResellerUpdate, call: TransactionDep
) -> JSONResponse:
    def effect(session: Session, now: datetime) -> Reply:
        reseller = service.rename_reseller(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            reseller_id=reseller_id,
            name=body.name,
            now=now,
            request_id=call.request_id,
        )
        return Reply(ResellerRead.of(reseller))

    return await call.respond(effect)


@router.post(
    "/{reseller_id}/disable",
    name="disable_reseller",
    response_model=ResellerRead,
    responses=responses(401, 403, 404, 422),
)
async def disable_reseller(reseller_id: uuid.UUID, call: TransactionDep) -> JSONResponse:
    """Its API keys are revoked now; its lines and cases stay as they are. Idempotent."""

    def effect(session: Session, now: datetime) -> Reply:
        reseller = service.disable_reseller(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            reseller_id=reseller_id,
            now=now,
            request_id=call.request_id,
        )
        return Reply(ResellerRead.of(reseller))

    return await call.respond(effect)
