"""POST /v1/esim/notifications: profile events relayed from the SM-DP+."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.schemas import EsimNotificationCreate, EsimNotificationRead
from simexit.lines import service as line_service

router = APIRouter(prefix="/v1/esim", tags=["esim"])


@router.post(
    "/notifications",
    name="receive_esim_notification",
    status_code=202,
    response_model=EsimNotificationRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def receive_esim_notification(
    body: EsimNotificationCreate, call: TransactionDep
) -> JSONResponse:
    """Record the event on the line. It never ends the contract: when an active line's profile
    is deleted, the subscriber is told the line is still billed."""

    def effect(session: Session, now: datetime) -> Reply:
        result = line_service.handle_esim_notice(
            session,
            actor=call.actor,
            iccid=body.iccid,
            event=body.event,
            at=body.at,
            now=now,
            eid=body.eid,
            request_id=call.request_id,
        )
        read = EsimNotificationRead(
            line_id=result.line.id,
            line_status=result.line.status,
            contract_changed=False,
            subscriber_notified=result.subscriber_notified,
        )
        return Reply(read, 202)

    return await call.respond(effect)
