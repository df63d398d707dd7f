"""Callbacks from message gateways: Kannel's delivery reports.

Kannel calls the dlr-url with GET. The URL names the notification by its random UUID, known only
to simexit and the gateway, so it works as a capability; a report for an unknown id is ignored,
and reports only move a message forward, so a forged one cannot undo a delivery.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from simexit.api.deps import RuntimeDep
from simexit.api.errors import responses
from simexit.clock import utc_now
from simexit.integrations.kannel.reports import read_report
from simexit.integrations.transports import KANNEL_DLR_PATH
from simexit.notifications import service as notifications
from simexit.notifications.channels import SmsChannel

router = APIRouter(tags=["gateways"])


@router.get(
    KANNEL_DLR_PATH,
    name="hooks:kannel_dlr",
    status_code=204,
    response_class=Response,
    responses=responses(422),
)
def kannel_delivery_report(
    runtime: RuntimeDep,
    delivery: Annotated[str, Query(max_length=64, description="The notification id.")],
    type: Annotated[int, Query(ge=0, le=255, description="Kannel's report type (%d).")],
    answer: Annotated[
        str | None, Query(max_length=500, description="The SMSC's answer (%A).")
    ] = None,
) -> Response:
    with runtime.db.session() as session:
        notifications.apply_delivery_report(
            session,
            now=utc_now(),
            delivery_id=delivery,
            channel=SmsChannel.name,  # Kannel reports on the SMS channel's messages
            report=read_report(type, answer),
        )
    return Response(status_code=204)
