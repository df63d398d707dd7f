"""Console: asking the subscriber of a case in review for information, and opening their files."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session as DbSession

from simexit.attachments import service as attachments
from simexit.cases import repository
from simexit.cases import service as cases
from simexit.errors import DomainError, NotFound
from simexit.lines.errors import NotPermitted
from simexit.transactions import run_read, run_write
from simexit.web.deps import PageDep, StaffDep, StaffPostDep
from simexit.web.forms import FormErrors, WebForm, trimmed
from simexit.web.i18n import N_
from simexit.web.routes.common import now
from simexit.web.routes.console.cases import NOT_PERMITTED, refused
from simexit.web.routes.console.permissions import staff_actor
from simexit.web.security import SecureRoute

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

BAD_DUE_DATE = N_("The due date must be after today and at most 60 days away.")


class AskForm(WebForm):
    kind: Annotated[str, trimmed(30)] = ""
    message: Annotated[str, trimmed(2000)] = ""
    due_date: date


@router.post(
    "/console/cases/{case_id}/information-request", name="console:ask", response_model=None
)
async def ask(post: StaffPostDep, case_id: uuid.UUID) -> Response:
    form = post.parse(AskForm)
    if isinstance(form, FormErrors):
        return await refused(post, case_id, form.text(post.t))
    actor, ctx = staff_actor(post.staff), post.state.runtime.cases

    def request(db: DbSession) -> None:
        cases.request_information(
            db,
            ctx,
            actor=actor,
            case_id=case_id,
            kind=form.kind,
            message=form.message,
            due_date=form.due_date,
            now=now(),
        )

    try:
        await run_write(post.db, request)
    except NotPermitted:
        return post.error(post.t(NOT_PERMITTED), status_code=403)
    except NotFound:
        return post.not_found()
    except DomainError as error:
        text = post.t(BAD_DUE_DATE) if error.field == "due_date" else error.message
        return await refused(post, case_id, text)
    return post.redirect("console:case", case_id=case_id)


@router.get(
    "/console/cases/{case_id}/files/{attachment_id}", name="console:file", response_model=None
)
async def open_file(
    page: PageDep, staff: StaffDep, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> Response:
    """The file as uploaded, opened for a staff member who can see the case (else 404)."""
    ctx = page.state.runtime.cases
    actor = staff_actor(staff)

    def load(db: DbSession) -> tuple[bytes, str]:
        case = repository.get_case(db, actor, case_id)
        found = attachments.get(db, case_id=case.id, attachment_id=attachment_id)
        if ctx.files is None:
            raise NotFound("no file store", field="attachment_id")
        return attachments.read(ctx.files, found, secret_key=ctx.secret_key), found.media_type

    try:
        body, media = await run_read(page.db, load)
    except NotFound:
        return page.not_found()
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{attachment_id}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
