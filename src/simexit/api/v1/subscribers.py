"""Subscribers, as the operator provisions them: create, change, upsert by its own id, read.

Every route needs the admin scope (an operator-level key or an admin's sign-in). Writes are one
transaction each (`Transaction.run`), POSTs take an Idempotency-Key, and a PUT of what is
already stored changes nothing and writes no audit row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.paging import CURSOR_PATTERN, decode_cursor, encode_cursor
from simexit.api.v1.provisioning_schemas import (
    SubscriberCreate,
    SubscriberFields,
    SubscriberList,
    SubscriberRead,
)
from simexit.api.validators import BoundedTimestamp
from simexit.provisioning import repository
from simexit.provisioning import service as provisioning
from simexit.provisioning.errors import SubscriberNotFound

router = APIRouter(prefix="/v1/subscribers", tags=["provisioning"])

ExternalId = Annotated[
    str,
    Path(max_length=100, pattern=r"^[A-Za-z0-9._~:-]+$", description="The operator's own id."),
]


def _reply(subscriber: SubscriberRead, status: int = 200) -> Reply:
    location = f"/v1/subscribers/{subscriber.id}" if status == 201 else None
    return Reply(subscriber, status, location)


@router.post(
    "",
    name="create_subscriber",
    status_code=201,
    response_model=SubscriberRead,
    responses=responses(401, 403, 409, 422),
)
async def create_subscriber(body: SubscriberCreate, call: TransactionDep) -> JSONResponse:
    """A new subscriber. The ID number and PIN are stored only as hashes."""

    def effect(session: Session, now: datetime) -> Reply:
        subscriber = provisioning.create_subscriber(
            session,
            call.runtime.cases,
            actor=call.actor,
            values=body.values(),
            now=now,
            request_id=call.request_id,
        )
        return _reply(SubscriberRead.of(subscriber), 201)

    return await call.respond(effect)


@router.get(
    "", name="list_subscribers", response_model=SubscriberList, responses=responses(401, 403, 422)
)
def list_subscribers(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
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
) -> SubscriberList:
    """Oldest change first, so a BSS can sync forward with `updated_since` and the cursor."""
    require_admin(actor)
    rows = repository.list_subscribers(
        session,
        actor,
        updated_since=updated_since,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    next_cursor = (
        encode_cursor(last.updated_at or last.created_at, last.id) if more and last else None
    )
    return SubscriberList(
        items=[SubscriberRead.of(s) for s in page],
        next_cursor=next_cursor,
        next=str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None,
    )


@router.get(
    "/by-external-id/{external_id}",
    name="get_subscriber_by_external_id",
    response_model=SubscriberRead,
    responses=responses(401, 403, 404, 422),
)
def get_subscriber_by_external_id(
    external_id: ExternalId, session: ReadSessionDep, actor: ActorDep
) -> SubscriberRead:
    require_admin(actor)
    found = repository.subscriber_by_external_id(session, actor, external_id)
    if found is None:
        raise SubscriberNotFound("no subscriber has this external id", field="external_id")
    return SubscriberRead.of(found)


@router.put(
    "/by-external-id/{external_id}",
    name="upsert_subscriber",
    response_model=SubscriberRead,
    responses={
        201: {"model": SubscriberRead, "description": "Created"},
        **responses(401, 403, 409, 422),
    },
)
async def upsert_subscriber(
    external_id: ExternalId, body: SubscriberFields, call: TransactionDep
) -> JSONResponse:
    """Create (201) or bring up to date (200) the subscriber with this external id."""

    def effect(session: Session, now: datetime) -> Reply:
        written = provisioning.upsert_subscriber(
            session,
            call.runtime.cases,
            actor=call.actor,
            external_id=external_id,
            values=body.values(),
            now=now,
            request_id=call.request_id,
        )
        return _reply(SubscriberRead.of(written.row), 201 if written.created else 200)

    return await call.respond(effect)


@router.get(
    "/{subscriber_id}",
    name="get_subscriber",
    response_model=SubscriberRead,
    responses=responses(401, 403, 404, 422),
)
def get_subscriber(
    subscriber_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep
) -> SubscriberRead:
    require_admin(actor)
    return SubscriberRead.of(repository.get_subscriber(session, actor, subscriber_id))


@router.patch(
    "/{subscriber_id}",
    name="update_subscriber",
    response_model=SubscriberRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def update_subscriber(
    subscriber_id: uuid.UUID, body: SubscriberFields, call: TransactionDep
) -> JSONResponse:
    """Change the given fields; null clears one."""

    def effect(session: Session, now: datetime) -> Reply:
        written = provisioning.update_subscriber(
            session,
            call.runtime.cases,
            actor=call.actor,
            subscriber_id=subscriber_id,
            values=body.values(),
            now=now,
            request_id=call.request_id,
        )
        return _reply(SubscriberRead.of(written.row))

    return await call.respond(effect)
