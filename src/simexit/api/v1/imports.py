"""Imports of a subscriber base: send a file, follow its job, fetch the rejected rows as CSV."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from simexit.api.deps import (
    IDEMPOTENCY_KEY_DESCRIPTION,
    ActorDep,
    ClockDep,
    ReadSessionDep,
    RuntimeDep,
    get_caller,
)
from simexit.api.errors import responses
from simexit.api.transaction import Reply, Transaction, request_fingerprint
from simexit.api.v1.paging import CURSOR_PATTERN, decode_cursor, page_of
from simexit.imports import service
from simexit.imports.reader import MEDIA_TYPES, format_of_media_type
from simexit.imports.rules import REPORT_COLUMNS
from simexit.models import DataImport
from simexit.principals import Actor

router = APIRouter(prefix="/v1/imports", tags=["imports"])
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # larger uploads go to a temporary file while they arrive


class ImportTotalsRead(BaseModel):
    rows: int = 0
    rejected_rows: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    lines_unchanged: int = 0
    subscribers_written: int = 0
    batches: int = 0


class ImportRead(BaseModel):
    id: uuid.UUID
    status: str = Field(description="queued, running, done or failed.")
    format: str
    dry_run: bool
    sha256: str = Field(description="Of the file as received.")
    size_bytes: int
    bytes_processed: int = Field(description="How far into the file the job has got.")
    totals: ImportTotalsRead
    error: str | None = Field(description="Why the file as a whole was refused (status failed).")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rejections: str = Field(description="The URL of the rejected rows, as CSV.")

    @classmethod
    def of(cls, data_import: DataImport) -> ImportRead:
        return cls(
            id=data_import.id,
            status=data_import.status,
            format=data_import.format,
            dry_run=data_import.dry_run,
            sha256=data_import.sha256,
            size_bytes=data_import.size_bytes,
            bytes_processed=data_import.position_bytes,
            totals=ImportTotalsRead(**(data_import.totals or {})),
            error=data_import.error,
            created_at=data_import.created_at,
            started_at=data_import.started_at,
            finished_at=data_import.finished_at,
            rejections=f"/v1/imports/{data_import.id}/rejections",
        )


class ImportList(BaseModel):
    items: list[ImportRead]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end."
    )


_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file: CSV with a header, or JSON Lines. Columns: docs/import.md.",
        "content": {
            media: {"schema": {"type": "string", "minLength": 1}} for media in sorted(MEDIA_TYPES)
        },
    }
}


@router.post(
    "",
    name="create_import",
    status_code=202,
    response_model=ImportRead,
    responses=responses(401, 403, 413, 415, 422),
    openapi_extra=_BODY,
)
async def create_import(
    request: Request,
    runtime: RuntimeDep,
    clock: ClockDep,
    caller: Annotated[Actor | str, Depends(get_caller)],
    dry_run: Annotated[
        bool, Query(description="Check and count every row in a rolled-back write.")
    ] = False,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description=IDEMPOTENCY_KEY_DESCRIPTION,
        ),
    ] = None,
) -> JSONResponse:
    """Upload a base; a job imports it in batches. 202 with the import to follow (`GET` it)."""
    fmt = format_of_media_type(request.headers.get("content-type", ""))
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as file:
        spool = service.Spool(file)
        async for chunk in request.stream():
            spool.write(chunk)
        upload = spool.finish()
        fingerprint = request_fingerprint(
            request.method, request.url.path, f"{upload.sha256}:{dry_run}:{fmt}".encode()
        )
        transaction = Transaction(
            runtime=runtime,
            caller=caller,
            now=clock(),
            request=request,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
        )

        def effect(session: Session, now: datetime) -> Reply:
            created = service.start_import(
                session,
                actor=transaction.actor,
                upload=upload,
                fmt=fmt,
                dry_run=dry_run,
                now=now,
            )
            return Reply(ImportRead.of(created), 202, f"/v1/imports/{created.id}")

        return await transaction.respond(effect)


@router.get("", name="list_imports", response_model=ImportList, responses=responses(401, 403, 422))
def list_imports(
    request: Request,
    session: ReadSessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="The `next_cursor` of the page before.",
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> ImportList:
    """Newest first."""
    after = decode_cursor(cursor) if cursor else None
    found = service.list_imports(session, actor, limit=limit + 1, after=after)
    page, next_cursor, _next_url = page_of(request, found, limit)
    return ImportList(items=[ImportRead.of(item) for item in page], next_cursor=next_cursor)


@router.get(
    "/{import_id}",
    name="get_import",
    response_model=ImportRead,
    responses=responses(401, 403, 404, 422),
)
def get_import(import_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep) -> ImportRead:
    return ImportRead.of(service.get_import(session, actor, import_id))


@router.get(
    "/{import_id}/rejections",
    name="get_import_rejections",
    responses={
        200: {"description": "The rejected rows.", "content": {"text/csv": {}}},
        **responses(401, 403, 404, 422),
    },
    response_class=StreamingResponse,
)
def get_import_rejections(
    import_id: uuid.UUID, runtime: RuntimeDep, actor: ActorDep
) -> StreamingResponse:
    """Every rejected row: its line in the file, your id of the line, the field, the rule."""
    with runtime.db.read_session() as session:
        service.get_import(session, actor, import_id)  # 404 now, not half-way through a body

    def rows() -> Iterator[str]:
        yield ",".join(REPORT_COLUMNS) + "\r\n"
        with runtime.db.read_session() as session:
            for rejection in service.rejections(session, actor, import_id):
                yield _csv_line(
                    (
                        str(rejection.row),
                        rejection.external_id,
                        rejection.field,
                        rejection.rule,
                        rejection.detail,
                    )
                )

    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8")


def _csv_line(cells: tuple[str, ...]) -> str:
    quoted = (
        '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell
        for cell in cells
    )
    return ",".join(quoted) + "\r\n"
