"""The subscriber's answer to an information request: a text, a file, or both (multipart)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import UploadFile

from simexit.cases import service as cases
from simexit.errors import DomainError, NotFound
from simexit.transactions import run_write
from simexit.web.deps import SubscriberPostDep
from simexit.web.i18n import N_, Texts
from simexit.web.routes.common import now
from simexit.web.routes.portal.cases import case_refused
from simexit.web.routes.portal.common import load_case
from simexit.web.security import SecureRoute

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

# The refusals of an answer, by the rule's code, in the page's language.
REFUSED = {
    "file_type_not_allowed": N_("The file must be a PDF, a JPEG or a PNG picture."),
    "file_too_large": N_("The file is too large: at most {size} MB."),
    "file_empty": N_("The file is empty."),
    "information_missing": N_("Write an answer or choose a file."),
}
NOT_NOW = N_("This request is not waiting for an answer now.")


def refusal(t: Texts, error: DomainError, max_bytes: int) -> str:
    text = REFUSED.get(error.code)
    if text is None:
        return t(NOT_NOW)
    return t(text, size=f"{max_bytes / (1024 * 1024):g}")


@router.post("/my/cases/{case_id}/information", name="portal:information", response_model=None)
async def answer(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    context, session = post.state.runtime.cases, post.session
    text = post.values("text")["text"] or None
    chosen = post.form.get("file")
    upload = None
    if isinstance(chosen, UploadFile) and chosen.filename:
        data = await chosen.read(context.attachment_max_bytes + 1)
        if data:  # an empty file input sends an empty part: no file chosen
            upload = cases.Upload(data=data, declared_type=chosen.content_type)
        else:
            upload = cases.Upload(data=b"")

    def give(db: DbSession) -> None:
        actor, case = load_case(db, session, case_id)
        cases.provide_information(
            db, context, actor=actor, case_id=case.id, text=text, upload=upload, now=now()
        )

    try:
        await run_write(post.db, give)
    except NotFound:
        return post.not_found()
    except DomainError as error:
        status = 422 if error.status == 422 else 409
        message = refusal(post.t, error, context.attachment_max_bytes)
        return await case_refused(post, case_id, message, status_code=status)
    return post.redirect("portal:case", case_id=case_id)
