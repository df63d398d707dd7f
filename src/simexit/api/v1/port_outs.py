"""Port-outs, driven by the recipient operator through the donor operator's key."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.schemas import PortOutComplete, PortOutCreate, PortOutRead
from simexit.cases.service import porting

router = APIRouter(prefix="/v1/port-outs", tags=["port-outs"])


@router.post(
    "",
    name="request_port_out",
    status_code=201,
    response_model=PortOutRead,
    responses={
        200: {
            "model": PortOutRead,
            "description": "A port-out of this number was already pending.",
        },
        **responses(401, 403, 404, 422),
    },
)
async def request_port_out(body: PortOutCreate, call: TransactionDep) -> JSONResponse:
    """Mark the number's line as porting; termination requests are blocked until it completes."""

    def effect(session: Session, now: datetime) -> Reply:
        port_out, created = porting.request_port_out(
            session,
            actor=call.actor,
            msisdn=body.msisdn,
            recipient_operator=body.recipient_operator,
            now=now,
            request_id=call.request_id,
        )
        return Reply(
            PortOutRead.of(port_out),
            201 if created else 200,
            f"/v1/port-outs/{port_out.id}" if created else None,
        )

    return await call.respond(effect)


@router.post(
    "/{port_out_id}/complete",
    name="complete_port_out",
    response_model=PortOutRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def complete_port_out(
    port_out_id: uuid.UUID, body: PortOutComplete, call: TransactionDep
) -> JSONResponse:
    """The number moved: the donor line ends (number released), its other open cases are closed,
    and the teardown of its `port_out` case (network, eSIM, billing, settlement, messages) starts."""

    def effect(session: Session, now: datetime) -> Reply:
        port_out = porting.complete_port_out(
            session,
            call.runtime.cases,
            actor=call.actor,
            port_out_id=port_out_id,
            now=now,
            completed_at=body.completed_at,
            request_id=call.request_id,
        )
        return Reply(PortOutRead.of(port_out))

    return await call.respond(effect)
