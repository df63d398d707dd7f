"""Lines, as the operator provisions them, and the BSS events on a line.

`POST /v1/lines` creates, `PATCH /v1/lines/{id}` changes, `PUT /v1/lines/by-external-id/{id}`
creates or updates by the operator's own id, `POST /v1/lines/{id}/events` records a top-up, a
bill issued or paid, an activity mark, a SIM swap or new identifiers. The list with filters is
`GET /v1/lines` (in `lines`, which keeps its `?msisdn=` look-up). Every route needs the admin
scope; answers carry every provisioned field (`ProvisionedLine`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.access.scopes import require_admin
from simexit.api.deps import ActorDep, ReadSessionDep, TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.provisioning_schemas import (
    LineCreate,
    LineEventCreate,
    LineEventResult,
    LineFields,
    ProvisionedLine,
)
from simexit.lines import repository as line_repository
from simexit.lines.errors import LineNotFound
from simexit.provisioning import events, repository
from simexit.provisioning import service as provisioning

router = APIRouter(prefix="/v1/lines", tags=["provisioning"])

ExternalId = Annotated[
    str,
    Path(max_length=100, pattern=r"^[A-Za-z0-9._~:-]+$", description="The operator's own id."),
]


def _reply(line: ProvisionedLine, status: int = 200) -> Reply:
    location = f"/v1/lines/{line.id}" if status == 201 else None
    return Reply(line, status, location)


@router.post(
    "",
    name="create_line",
    status_code=201,
    response_model=ProvisionedLine,
    responses=responses(401, 403, 409, 422),
)
async def create_line(body: LineCreate, call: TransactionDep) -> JSONResponse:
    """A new line of a subscriber (by `subscriber_id` or `subscriber_external_id`)."""

    def effect(session: Session, now: datetime) -> Reply:
        line = provisioning.create_line(
            session,
            call.runtime.cases,
            actor=call.actor,
            values=body.values(),
            now=now,
            request_id=call.request_id,
        )
        return _reply(ProvisionedLine.of(line), 201)

    return await call.respond(effect)


@router.get(
    "/by-external-id/{external_id}",
    name="get_line_by_external_id",
    response_model=ProvisionedLine,
    responses=responses(401, 403, 404, 422),
)
def get_line_by_external_id(
    external_id: ExternalId, session: ReadSessionDep, actor: ActorDep
) -> ProvisionedLine:
    require_admin(actor)
    found = repository.line_by_external_id(session, actor, external_id)
    if found is None:
        raise LineNotFound("no line has this external id", field="external_id")
    return ProvisionedLine.of(found)


@router.put(
    "/by-external-id/{external_id}",
    name="upsert_line",
    response_model=ProvisionedLine,
    responses={
        201: {"model": ProvisionedLine, "description": "Created"},
        **responses(401, 403, 409, 422),
    },
)
async def upsert_line(
    external_id: ExternalId, body: LineFields, call: TransactionDep
) -> JSONResponse:
    """Create (201) or bring up to date (200) the line with this external id. Pushing the same
    fields again changes nothing."""

    def effect(session: Session, now: datetime) -> Reply:
        written = provisioning.upsert_line(
            session,
            call.runtime.cases,
            actor=call.actor,
            external_id=external_id,
            values=body.values(),
            now=now,
            request_id=call.request_id,
        )
        return _reply(ProvisionedLine.of(written.row), 201 if written.created else 200)

    return await call.respond(effect)


@router.get(
    "/{line_id}/provisioning",
    name="get_provisioned_line",
    response_model=ProvisionedLine,
    responses=responses(401, 403, 404, 422),
)
def get_provisioned_line(
    line_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep
) -> ProvisionedLine:
    """Every provisioned field of the line (`GET /v1/lines/{id}` shows the integration view)."""
    require_admin(actor)
    return ProvisionedLine.of(line_repository.get_line(session, actor, line_id))


@router.patch(
    "/{line_id}",
    name="update_line",
    response_model=ProvisionedLine,
    responses=responses(401, 403, 404, 409, 422),
)
async def update_line(line_id: uuid.UUID, body: LineFields, call: TransactionDep) -> JSONResponse:
    """Change the given fields; null clears one."""

    def effect(session: Session, now: datetime) -> Reply:
        written = provisioning.update_line(
            session,
            call.runtime.cases,
            actor=call.actor,
            line_id=line_id,
            values=body.values(),
            now=now,
            request_id=call.request_id,
        )
        return _reply(ProvisionedLine.of(written.row))

    return await call.respond(effect)


@router.post(
    "/{line_id}/events",
    name="record_line_event",
    response_model=LineEventResult,
    responses=responses(401, 403, 404, 409, 422),
)
async def record_line_event(
    line_id: uuid.UUID, body: Annotated[LineEventCreate, Body()], call: TransactionDep
) -> JSONResponse:
    """A BSS event. Updates the line, audits it, and submits again each blocked case of the line
    that the policy no longer blocks (a paid bill moves a case blocked on unpaid bills on)."""

    def effect(session: Session, now: datetime) -> Reply:
        values = body.values()
        result = events.record_event(
            session,
            call.runtime.cases,
            actor=call.actor,
            line_id=line_id,
            event=events.LineEvent(
                type=events.EventType(values.pop("type")),
                amount=values.get("amount"),
                bonus_amount=values.get("bonus_amount"),
                on=values.get("on"),
                iccid=values.get("iccid"),
                imsi=values.get("imsi"),
                eid=values.get("eid"),
                note=body.note,
            ),
            now=now,
            request_id=call.request_id,
        )
        return Reply(
            LineEventResult(
                line=ProvisionedLine.of(result.line),
                changed=list(result.changed),
                cases_resubmitted=[case.id for case in result.cases_resubmitted],
            )
        )

    return await call.respond(effect)
