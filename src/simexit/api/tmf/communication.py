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
from simexit.models import TmfMessage
from simexit.tmf import messages, repository
from simexit.tmf import service as tmf_service
from simexit.tmf.errors import MessageNotFound
from simexit.tmf.rules import message_state

BASE = "/tmf-api/communicationManagement/v4"
router = APIRouter(prefix=BASE, tags=["TMF681 communication"])
IdPath = Annotated[str, Path(max_length=100, description="The message's id.")]
MESSAGE_FILTERS = ("id", "messageType", "content", "state")


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


def _views(request: Request, session: Session, found: list[TmfMessage]) -> list[dict[str, Any]]:
    statuses = repository.notification_statuses(
        session, [i for m in found for i in m.notification_ids]
    )
    return [message_view(request, m, statuses) for m in found]


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
    """Newest first. Filters: `id`, `messageType`, `content` (exact), `state` (as recorded)."""
    tmf_service.require_api_caller(actor)
    found = filters_of(request, MESSAGE_FILTERS, whole=("content",))
    ids = []
    for value in found.get("id", []):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            ids.append(uuid.UUID(int=0))  # no message has it: match nothing
    filters = repository.MessageFilters(
        ids=ids,
        message_types=found.get("messageType", []),
        contents=found.get("content", []),
        states=found.get("state", []),
    )
    rows, total = repository.list_messages(session, actor, filters, offset=offset, limit=limit)
    return page_response([select_fields(v, fields) for v in _views(request, session, rows)], total)


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
    message = repository.get_message(session, actor, _message_id(id))
    return select_fields(_views(request, session, [message])[0], fields)


@router.delete(
    "/communicationMessage/{id}",
    name="tmf681_delete_communication_message",
    status_code=204,
    responses=responses(401, 403, 404),
)
async def delete_communication_message(id: IdPath, call: TransactionDep) -> Response:
    message_id = _message_id(id)

    def effect(session: Session, now: datetime) -> Reply:
        messages.delete_message(session, actor=call.actor, message_id=message_id, now=now)
        return Reply({}, 204)

    answer = await call.respond(effect)
    return no_content() if answer.status_code == 204 else answer
