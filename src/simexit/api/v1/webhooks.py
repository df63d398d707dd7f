"""Webhook endpoints of the caller's operator: register, list, read, rotate the signing secret,
disable; the deliveries of one endpoint and replaying one. Admin scope only.

URL rule (`simexit.webhooks.rules`): https; plain http only to a loopback receiver (localhost,
127.0.0.0/8, ::1) in the local and test environments; internal addresses refused in staging and
production. Secret rotation: `simexit.webhooks.service`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.admin import Cursor, Limit, admin_operator, decode_cursor
from simexit.api.v1.admin_schemas import (
    DeliveryList,
    DeliveryRead,
    DeliveryStatus,
    EndpointCreate,
    EndpointList,
    EndpointRead,
    EndpointWithSecret,
    SecretRotation,
)
from simexit.api.v1.paging import page_of
from simexit.config import Environment
from simexit.webhooks import service

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])

LOOPBACK_HTTP_ENVIRONMENTS = frozenset({Environment.local, Environment.test})


@router.post(
    "",
    name="register_webhook_endpoint",
    status_code=201,
    response_model=EndpointWithSecret,
    responses=responses(401, 403, 409, 422),
)
async def register_webhook_endpoint(body: EndpointCreate, call: TransactionDep) -> JSONResponse:
    """Events go to this URL from now on, signed with the secret in the answer (shown once)."""
    allow_http = call.runtime.settings.env in LOOPBACK_HTTP_ENVIRONMENTS

    def effect(session: Session, now: datetime) -> Reply:
        made = service.register_endpoint(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            url=body.url,
            events=tuple(body.events),
            description=body.description,
            allow_loopback_http=allow_http,
            now=now,
            request_id=call.request_id,
        )
        return Reply(
            EndpointWithSecret.of_secret(made.endpoint, made.secret),
            201,
            f"/v1/webhook-endpoints/{made.endpoint.id}",
        )

    return await call.respond(effect)


@router.get(
    "",
    name="list_webhook_endpoints",
    response_model=EndpointList,
    responses=responses(401, 403, 422),
)
def list_webhook_endpoints(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> EndpointList:
    """Newest first, disabled ones too; never a secret."""
    rows = service.list_endpoints(
        session, admin_operator(actor), after=decode_cursor(cursor), limit=limit + 1
    )
    page, next_cursor, next_url = page_of(request, rows, limit)
    return EndpointList(
        items=[EndpointRead.of(e) for e in page], next_cursor=next_cursor, next=next_url
    )


@router.get(
    "/{endpoint_id}",
    name="get_webhook_endpoint",
    response_model=EndpointRead,
    responses=responses(401, 403, 404, 422),
)
def get_webhook_endpoint(
    endpoint_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep
) -> EndpointRead:
    return EndpointRead.of(service.get_endpoint(session, admin_operator(actor), endpoint_id))


@router.post(
    "/{endpoint_id}/rotate-secret",
    name="rotate_webhook_secret",
    response_model=EndpointWithSecret,
    responses=responses(401, 403, 404, 409, 422),
)
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID, body: SecretRotation, call: TransactionDep
) -> JSONResponse:
    """A new secret, shown once. The old one keeps signing beside it for `grace_hours`."""

    def effect(session: Session, now: datetime) -> Reply:
        made = service.rotate_secret(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            endpoint_id=endpoint_id,
            grace=timedelta(hours=body.grace_hours),
            now=now,
            request_id=call.request_id,
        )
        return Reply(EndpointWithSecret.of_secret(made.endpoint, made.secret))

    return await call.respond(effect)


@router.post(
    "/{endpoint_id}/disable",
    name="disable_webhook_endpoint",
    response_model=EndpointRead,
    responses=responses(401, 403, 404, 422),
)
async def disable_webhook_endpoint(endpoint_id: uuid.UUID, call: TransactionDep) -> JSONResponse:
    """No new events go to it; deliveries already queued still try. Idempotent."""

    def effect(session: Session, now: datetime) -> Reply:
        endpoint = service.disable_endpoint(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            endpoint_id=endpoint_id,
            now=now,
            request_id=call.request_id,
        )
        return Reply(EndpointRead.of(endpoint))

    return await call.respond(effect)


@router.get(
    "/{endpoint_id}/deliveries",
    name="list_webhook_deliveries",
    response_model=DeliveryList,
    responses=responses(401, 403, 404, 422),
)
def list_webhook_deliveries(
    endpoint_id: uuid.UUID,
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DeliveryList:
    """The endpoint's delivery log, newest first: status, attempts, last answer and error."""
    rows = service.list_deliveries(
        session,
        admin_operator(actor),
        endpoint_id,
        status=status,
        after=decode_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor, next_url = page_of(request, [row.delivery for row in rows], limit)
    views = {row.delivery.id: row for row in rows}
    return DeliveryList(
        items=[DeliveryRead.of(views[d.id]) for d in page], next_cursor=next_cursor, next=next_url
    )


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}",
    name="get_webhook_delivery",
    response_model=DeliveryRead,
    responses=responses(401, 403, 404, 422),
)
def get_webhook_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep
) -> DeliveryRead:
    view = service.get_delivery(session, admin_operator(actor), endpoint_id, delivery_id)
    return DeliveryRead.of(view)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    name="replay_webhook_delivery",
    status_code=202,
    response_model=DeliveryRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def replay_webhook_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, call: TransactionDep
) -> JSONResponse:
    """Send a delivered or dead delivery again (same webhook-id and body) through a new job."""

    def effect(session: Session, now: datetime) -> Reply:
        view = service.replay_delivery(
            session,
            actor=call.actor,
            operator_id=admin_operator(call.actor),
            endpoint_id=endpoint_id,
            delivery_id=delivery_id,
            now=now,
            request_id=call.request_id,
        )
        return Reply(DeliveryRead.of(view), 202)

    return await call.respond(effect)
