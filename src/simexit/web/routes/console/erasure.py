"""Console: an agent records a subscriber's request to erase their personal data."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository
from simexit.cases.service.common import today_for
from simexit.errors import NotFound
from simexit.models import ErasureRequest
from simexit.privacy import service as privacy
from simexit.privacy.errors import LinesStillActive
from simexit.transactions import run_write
from simexit.web.deps import StaffPost, StaffPostDep
from simexit.web.i18n import N_, Texts
from simexit.web.routes.common import now
from simexit.web.routes.console.permissions import staff_actor
from simexit.web.security import SecureRoute

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

LINES_RUN = N_("A line of this subscriber still runs: end it before erasing their data.")
REQUESTED = N_("Erasure asked for on {date}, to be done by {due}.")
REQUESTED_NO_DEADLINE = N_("Erasure asked for on {date}.")
ERASED = N_("The subscriber's personal data was erased on {date}.")


@router.post("/console/erasure/{case_id}", name="console:erasure", response_model=None)
async def record_request(post: StaffPostDep, case_id: uuid.UUID) -> Response:
    """The subscriber of this case asked (by phone, in a shop) for their data to be erased."""
    try:
        await run_write(post.db, lambda db: _request(db, post, case_id))
    except NotFound:
        return post.not_found()
    except LinesStillActive:
        return post.error(post.t(LINES_RUN), status_code=409)
    return post.redirect("console:case", case_id=case_id)


def _request(db: DbSession, post: StaffPost, case_id: uuid.UUID) -> None:
    actor, at = staff_actor(post.staff), now()
    case = repository.get_case(db, actor, case_id)
    operator = repository.operator(db, case.operator_id)
    privacy.request_erasure(
        db,
        pack=post.state.runtime.packs.get(operator.policy_pack),
        actor=actor,
        subscriber_id=case.subscriber_id,
        today=today_for(operator, at),
        now=at,
    )


def erasure_state(db: DbSession, t: Texts, subscriber_id: uuid.UUID) -> str | None:
    """What the case page says about erasure of its subscriber: None when none was asked for."""
    request = db.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.subscriber_id == subscriber_id)
        .order_by(ErasureRequest.requested_at.desc())
    ).first()
    if request is None:
        return None
    if request.done_at is not None:
        return t(ERASED, date=t.date(request.done_at.date()))
    asked = t.date(request.requested_at.date())
    if request.due_on is None:
        return t(REQUESTED_NO_DEADLINE, date=asked)
    return t(REQUESTED, date=asked, due=t.date(request.due_on))
