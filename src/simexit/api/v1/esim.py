"""Profile events from the SM-DP+: POST /v1/esim/notifications (simexit's shape) and
POST /v1/esim/gsma/rsp2/es2plus/handleDownloadProgressInfo (GSMA SGP.22 ES2+'s own shape, so an
SM-DP+ configured with `<simexit>/v1/esim` as the operator's ES2+ base URL calls it as it calls
any operator). Both take the operator's API key, as every /v1 call does."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.es2plus_schemas import DownloadProgressInfo, HeaderOnlyResponse
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


@router.post(
    "/gsma/rsp2/es2plus/handleDownloadProgressInfo",
    name="handle_download_progress_info",
    status_code=200,
    response_model=HeaderOnlyResponse,
    responses=responses(401, 403, 404, 409, 422),
)
async def handle_download_progress_info(
    body: DownloadProgressInfo, call: TransactionDep
) -> JSONResponse:
    """ES2+.HandleDownloadProgressInfo (SGP.22 §5.3.5). A profile downloaded or installed is
    kept on the line (a later termination sends no CancelOrder for it); one installed on a line
    that has ended is flagged on its audit trail and its subscriber is told to delete it."""

    def effect(session: Session, now: datetime) -> Reply:
        point = body.notification_point_status
        codes = point.status_code_data
        line_service.handle_download_progress(
            session,
            actor=call.actor,
            iccid=body.iccid,
            point=body.notification_point_id,
            status=point.status,
            at=body.timestamp,
            now=now,
            eid=body.eid,
            request_id=call.request_id,
            details={
                "profile_type": body.profile_type,
                "function_call": body.header.function_call_identifier,
                "codes": [codes.subject_code, codes.reason_code] if codes else None,
            },
        )
        return Reply(HeaderOnlyResponse(), 200)

    return await call.respond(effect)
