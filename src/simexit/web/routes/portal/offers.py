"""Retention offers on the line page: after the consequences, beside the cancel action, never a
step. A pause offer is the pause form (it opens a suspension request); a cheaper plan is passed
on to the operator in one tap. "No thanks" only goes back to the cancel form."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository
from simexit.errors import DomainError, NotFound
from simexit.models import Line
from simexit.policies.pack import Pack
from simexit.retention import rules, service
from simexit.retention.errors import UnknownOffer
from simexit.transactions import run_write
from simexit.web.deps import SubscriberPostDep
from simexit.web.i18n import N_, Texts
from simexit.web.routes.common import now
from simexit.web.routes.portal.common import load_line
from simexit.web.security import SecureRoute
from simexit.web.texts import RETENTION_OFFER, label

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

PASSED_ON = N_("Thank you. We have passed your wish on to the operator, who will contact you.")


@dataclass(frozen=True, slots=True)
class OfferView:
    code: str
    kind: str
    text: str


def retention_offers(t: Texts, pack: Pack, line: Line, *, pause_possible: bool) -> list[OfferView]:
    return [
        OfferView(offer.code, offer.kind, label(t, RETENTION_OFFER, offer.text_key))
        for offer in rules.offers_for(
            pack.document.retention_offers, plan=line.plan, pause_possible=pause_possible
        )
    ]


@router.post("/my/lines/{line_id}/offers/{code}", name="portal:offer", response_model=None)
async def accept(post: SubscriberPostDep, line_id: uuid.UUID, code: str) -> Response:
    """A cheaper plan taken: recorded and passed on to the operator; no cancellation is made."""
    packs = post.state.runtime.cases.packs

    def take(db: DbSession) -> None:
        actor, line = load_line(db, post.session, line_id)
        pack = packs.get(repository.operator(db, line.operator_id).policy_pack)
        offer = rules.find(pack.document.retention_offers, code)
        if offer is None or offer.kind != "cheaper_plan":
            raise UnknownOffer("no such offer here", field="offer")
        service.record(db, actor=actor, line=line, offer=offer, now=now())

    try:
        await run_write(post.db, take)
    except NotFound:
        return post.not_found()
    except DomainError:
        return post.not_found()
    return post.redirect("portal:line", line_id=line_id, query={"offer": "passed_on"})
