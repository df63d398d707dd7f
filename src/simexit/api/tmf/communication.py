"""TMF681 Communication v4: `communicationMessage`, the messages an operator's system sends its
subscribers through simexit's notification channels (SMS, email)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.tmf.hubs import add_hub_routes
from simexit.api.tmf.models import NO_NUL, TMF_MODEL, ContactPointIn
from simexit.api.tmf.query import (
    FieldsQuery,
    LimitQuery,
    OffsetQuery,
    filters_of,
    no_content,
    page_response,
    select_fields,
    tmf_time,
)
from simexit.api.transaction import Reply
from simexit.models import Notification, TmfMessage
from simexit.notifications.service import REDACTED_BODY
from simexit.notifications.templates import SENSITIVE_KINDS
from simexit.tmf import communications, messages, repository
from simexit.tmf import service as tmf_service
from simexit.tmf.communications import STATE_OF_STATUS
from simexit.tmf.errors import MessageNotFound
from simexit.tmf.events import COMMUNICATION_EVENTS
from simexit.tmf.rules import message_state

BASE = "/tmf-api/communicationManagement/v4"
router = APIRouter(prefix=BASE, tags=["TMF681 communication"])
IdPath = Annotated[str, Path(max_length=100, description="The message's id.")]
MESSAGE_FILTERS = ("id", "messageType", "content", "state")
MESSAGE_TYPE_OF_CHANNEL = {"sms": "SMS", "email": "email", "push": "push"}


class CommunicationMessageCreate(BaseModel):
    """TMF681 `CommunicationMessage_Create`; attributes simexit does not use are kept as sent."""

    model_config = TMF_MODEL

    content: Annotated[str, Field(min_length=1, max_length=2000, pattern=NO_NUL)]
    message_type: Annotated[str, Field(min_length=1, max_length=20, pattern=NO_NUL)] = Field(
        description="SMS or email."
    )
    receiver: Annotated[list[ContactPointIn], Field(max_length=100)]
    sender: ContactPointIn
    subject: Annotated[str, Field(max_length=300, pattern=NO_NUL)] | None = None
    description: Annotated[str, Field(max_length=2000, pattern=NO_NUL)] | None = None


def message_view(request: Request, message: TmfMessage, statuses: dict[str, str]) -> dict[str, Any]:
    doc = dict(message.document)
    view: dict[str, Any] = {
        **doc,
        "id": str(message.id),
        "href": str(request.base_url).rstrip("/") + f"{BASE}/communicationMessage/{message.id}",
        "content": message.content,
        "messageType": message.message_type,
        "receiver": doc.get("receiver") or [],
        "sender": doc.get("sender") or {},
        "state": message_state(
            message.state, [statuses.get(i, "queued") for i in message.notification_ids]
        ),
        "sendTime": tmf_time(message.created_at),
        "@type": "CommunicationMessage",
    }
    if message.subject:
        view["subject"] = message.subject
    if message.state_reason:
        view["stateChangeReason"] = message.state_reason
    return view


def notification_view(request: Request, notification: Notification) -> dict[str, Any]:
    """A message simexit sent by itself, as TMF681 shows a message."""
    address = "phoneNumber" if notification.channel == "sms" else "email"
    sensitive = notification.kind in SENSITIVE_KINDS
    view: dict[str, Any] = {
        "id": str(notification.id),
        "href": str(request.base_url).rstrip("/")
        + f"{BASE}/communicationMessage/{notification.id}",
        # A one-time code's text is never shown: what matters is that it was sent.
        "content": REDACTED_BODY if sensitive else notification.body_text,
        "messageType": MESSAGE_TYPE_OF_CHANNEL.get(notification.channel, notification.channel),
        "receiver": [{address: notification.recipient}] if notification.recipient else [],
        "sender": {"name": "simexit"},
        "state": STATE_OF_STATUS.get(notification.status, "inProgress"),
        "sendTime": tmf_time(notification.created_at),
        "tryTimes": notification.attempts,
        "characteristic": [{"name": "simexitKind", "value": notification.kind}],
        "@type": "CommunicationMessage",
    }
    if notification.subject:
        view["subject"] = notification.subject
    if notification.sent_at is not None:
        view["sendTimeComplete"] = tmf_time(notification.sent_at)
    if notification.last_error and view["state"] != "completed":
        view["stateChangeReason"] = notification.last_error
    return view


def _views(request: Request, session: Session, found: list[TmfMessage]) -> list[dict[str, Any]]:
    statuses = repository.notification_statuses(
        session, [i for m in found for i in m.notification_ids]
    )
    return [message_view(request, m, statuses) for m in found]


def _listed(
    request: Request, session: Session, found: list[communications.Communication]
) -> list[dict[str, Any]]:
    posted = _views(request, session, [c.posted for c in found if c.posted is not None])
    by_id = {view["id"]: view for view in posted}
    views = []
    for item in found:
        if item.posted is not None:
            views.append(by_id[str(item.posted.id)])
        elif item.notification is not None:
            views.append(notification_view(request, item.notification))
    return views


def _message_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise MessageNotFound(f"no such communicationMessage {value!r}", field="id") from None


@router.post(
    "/communicationMessage",
    name="tmf681_create_communication_message",
    status_code=201,
    responses=responses(400, 401, 403, 409),
)
async def create_communication_message(
    request: Request, body: CommunicationMessageCreate, call: TransactionDep
) -> JSONResponse:
    """Send a message to subscribers of yours (receiver `id` = a product/line id, or
    `phoneNumber` = a line's number). A message that reaches nobody is recorded `failed`."""
    document = body.model_dump(mode="json", exclude_none=True, by_alias=True)

    def effect(session: Session, now: datetime) -> Reply:
        message = messages.send_message(
            session,
            actor=call.actor,
            message_type=body.message_type,
            content=body.content,
            subject=body.subject,
            receivers=[
                r.model_dump(mode="json", exclude_none=True, by_alias=True) for r in body.receiver
            ],
            document=document,
            now=now,
        )
        return Reply(
            _views(request, session, [message])[0],
            201,
            f"{BASE}/communicationMessage/{message.id}",
        )

    return await call.respond(effect)


@router.get(
    "/communicationMessage",
    name="tmf681_list_communication_messages",
    responses=responses(400, 401, 403),
)
def list_communication_messages(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
    offset: OffsetQuery = 0,
    limit: LimitQuery = 100,
) -> JSONResponse:
    """Newest first: the messages posted here and (for an operator's key) those simexit sent
    by itself. Filters: `id`, `messageType`, `content` (exact), `state`."""
    tmf_service.require_api_caller(actor)
    found = filters_of(request, MESSAGE_FILTERS, whole=("content",))
    ids = []
    for value in found.get("id", []):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            ids.append(uuid.UUID(int=0))  # no message has it: match nothing
    filters = communications.CommunicationFilters(
        ids=ids,
        message_types=found.get("messageType", []),
        contents=found.get("content", []),
        states=found.get("state", []),
    )
    rows, total = communications.list_communications(
        session, actor, filters, offset=offset, limit=limit
    )
    return page_response([select_fields(v, fields) for v in _listed(request, session, rows)], total)


@router.get(
    "/communicationMessage/{id}",
    name="tmf681_get_communication_message",
    responses=responses(401, 403, 404),
)
def get_communication_message(
    id: IdPath,
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    fields: FieldsQuery = None,
) -> dict[str, Any]:
    tmf_service.require_api_caller(actor)
    message_id = _message_id(id)
    sent = communications.sent_by_simexit(session, actor, message_id)
    if sent is not None:
        return select_fields(notification_view(request, sent), fields)
    message = repository.get_message(session, actor, message_id)
    return select_fields(_views(request, session, [message])[0], fields)


@router.delete(
    "/communicationMessage/{id}",
    name="tmf681_delete_communication_message",
    status_code=204,
    responses=responses(401, 403, 404, 409),
)
async def delete_communication_message(id: IdPath, call: TransactionDep) -> Response:
    message_id = _message_id(id)

    def effect(session: Session, now: datetime) -> Reply:
        messages.delete_message(session, actor=call.actor, message_id=message_id, now=now)
        return Reply({}, 204)

    answer = await call.respond(effect)
    return no_content() if answer.status_code == 204 else answer


add_hub_routes(router, api="TMF681", event_types=COMMUNICATION_EVENTS, prefix=BASE)
