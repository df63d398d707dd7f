"""Portal: a subscriber asks for their personal data to be erased, and learns by when."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session as DbSession

from simexit.cases.service.common import today_for
from simexit.operators.repository import operator_info
from simexit.privacy import service as privacy
from simexit.privacy.errors import LinesStillActive
from simexit.transactions import run_write
from simexit.web.deps import SubscriberPost, SubscriberPostDep
from simexit.web.i18n import N_
from simexit.web.routes.common import now
from simexit.web.routes.portal.common import owner
from simexit.web.security import SecureRoute

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

ERASURE_DUE = N_("We have your request. Your personal data will be erased by {date} at the latest.")
ERASURE_SOON = N_("We have your request. Your personal data will be erased shortly.")
LINES_STILL_RUN = N_(
    "A subscription of yours is still running: end it first, then ask for erasure again."
)


@router.post("/my/erasure", name="portal:erasure", response_model=None)
async def ask_for_erasure(post: SubscriberPostDep) -> Response:
    """One request per subscriber the session signs in as, each due by its operator's pack."""
    try:
        dues = await run_write(post.db, lambda db: _request(db, post))
    except LinesStillActive:
        return post.render(
            "portal/erasure.html", {"message": post.t(LINES_STILL_RUN)}, status_code=409
        )
    latest = max((due for due in dues if due is not None), default=None)
    message = post.t(ERASURE_DUE, date=post.t.date(latest)) if latest else post.t(ERASURE_SOON)
    return post.render("portal/erasure.html", {"message": message})


def _request(db: DbSession, post: SubscriberPost) -> list[date | None]:
    dues: list[date | None] = []
    at = now()
    for subscriber_id in post.session.subscriber_ids:
        actor = owner(db, post.session, subscriber_id)
        operator = operator_info(db, actor.operator_id) if actor.operator_id else None
        if operator is None:
            continue
        request = privacy.request_erasure(
            db,
            pack=post.state.runtime.packs.get(operator.policy_pack),
            actor=actor,
            subscriber_id=subscriber_id,
            today=today_for(operator, at),
            now=at,
        )
        dues.append(request.due_on)
    return dues
