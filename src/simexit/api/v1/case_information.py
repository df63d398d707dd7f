"""Information required: an agent asks the subscriber for something, the subscriber answers.

`POST /v1/cases/{id}/information-request` (the operator's staff or integration) puts a case in
review into `information_required` with a kind, a text and a due date; the SLA clock stops.
`POST /v1/cases/{id}/information` (multipart: `text`, `file` — a PDF, JPEG or PNG told by its
bytes, up to `SIMEXIT_ATTACHMENT_MAX_BYTES`) answers it and sends the case back to review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from simexit.api.deps import TransactionDep
from simexit.api.errors import responses
from simexit.api.transaction import Reply
from simexit.api.v1.cases import case_reply
from simexit.api.v1.schemas import CaseRead, InformationRequestCreate
from simexit.api.validators import LongText
from simexit.cases import service as case_service

router = APIRouter(prefix="/v1/cases", tags=["cases"])


@router.post(
    "/{case_id}/information-request",
    name="request_case_information",
    response_model=CaseRead,
    responses=responses(401, 403, 404, 409, 422),
)
async def request_information(
    case_id: uuid.UUID, body: InformationRequestCreate, call: TransactionDep
) -> JSONResponse:
    """Ask the subscriber for a document or a correction by a date; the SLA clock waits."""

    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.request_information(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            kind=body.kind,
            message=body.message,
            due_date=body.due_date,
            now=now,
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)


@router.post(
    "/{case_id}/information",
    name="provide_case_information",
    response_model=CaseRead,
    responses=responses(401, 404, 409, 413, 422),
)
async def provide_information(
    case_id: uuid.UUID,
    call: TransactionDep,
    text: Annotated[LongText | None, Form()] = None,
    file: Annotated[
        UploadFile | str | None,
        File(description="A PDF, JPEG or PNG (told by its bytes; a plain text part is its bytes)."),
    ] = None,
) -> JSONResponse:
    """Answer the open request: a text, one file, or both. Back to review; the SLA moves on."""
    upload = None
    if isinstance(file, str):  # a part without a file name: its text is taken as the content
        upload = case_service.Upload(data=file.encode())
    elif file is not None:
        data = await file.read(call.runtime.cases.attachment_max_bytes + 1)
        upload = case_service.Upload(data=data, declared_type=file.content_type)

    def effect(session: Session, now: datetime) -> Reply:
        case = case_service.provide_information(
            session,
            call.runtime.cases,
            actor=call.actor,
            case_id=case_id,
            text=text,
            upload=upload,
            now=now,
        )
        return case_reply(case, call.actor)

    return await call.respond(effect)
