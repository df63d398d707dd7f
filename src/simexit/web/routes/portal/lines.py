"""Portal lines: the subscriber's own lines, what ending one means, and the request itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator, ValidationInfo, field_validator
from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.service import porting
from simexit.cases.service.common import today_for
from simexit.cases.states import TERMINAL, CaseStatus
from simexit.errors import DomainError, NotFound
from simexit.lines import repository as line_repository
from simexit.lines.states import LineStatus
from simexit.policies.model import CaseRequest, Channel, RequestType, SettlementChoice
from simexit.retention import rules as retention_rules
from simexit.retention import service as retention
from simexit.transactions import run_read, run_write
from simexit.verification.throttle import TooManyAttempts
from simexit.web import subscriber_auth as auth
from simexit.web.deps import Page, PageDep, SubscriberDep, SubscriberPost, SubscriberPostDep
from simexit.web.forms import FormErrors, WebForm, blank_is_none, refuse, trimmed_or_none
from simexit.web.i18n import N_
from simexit.web.rendering import Session
from simexit.web.routes.common import now
from simexit.web.routes.portal.common import (
    TOO_MANY_CODES,
    language_of,
    load_line,
    owner,
    start_code,
)
from simexit.web.routes.portal.guidance import before_sending, pause_elsewhere, way_out
from simexit.web.routes.portal.offers import retention_offers
from simexit.web.security import SecureRoute
from simexit.web.texts import (
    CASE_TYPE,
    LINE_KIND,
    LINE_STATUS,
    PLAN,
    REASONS,
    SETTLEMENT,
    STATUS,
    label,
)
from simexit.web.views import preview_view

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

# What the line page offers: ending the line or pausing it.
PORTAL_REQUESTS = frozenset({RequestType.terminate, RequestType.suspend})
FORM_FIELDS = ("settlement", "transfer_to", "reason", "comment", "suspend_until")


class RequestForm(WebForm):
    """The request form of the line page. Fields are checked in this order, so a rule may read
    the fields above it (`suspend_until` needs `type`, `transfer_to` needs `settlement`)."""

    type: RequestType = RequestType.terminate
    consent: bool = False
    settlement: Annotated[SettlementChoice | None, BeforeValidator(blank_is_none)] = None
    transfer_to: Annotated[str | None, trimmed_or_none(2000)] = None
    reason: Annotated[str | None, trimmed_or_none(2000)] = None
    comment: Annotated[str | None, trimmed_or_none(2000)] = None
    suspend_until: Annotated[str | None, trimmed_or_none(2000)] = None
    # The pack's retention offer this request takes (a pause offered instead of cancelling).
    offer: Annotated[str | None, trimmed_or_none(40)] = None

    refusals: ClassVar[Mapping[str, str]] = {
        "type": N_("Choose whether to cancel the line or to pause it."),
        "settlement": N_("Choose what should happen to the remaining balance."),
    }

    @field_validator("type", mode="before")
    @classmethod
    def _absent_type_is_terminate(cls, value: Any) -> Any:
        return RequestType.terminate if blank_is_none(value) is None else value

    @field_validator("type")
    @classmethod
    def _offered_here(cls, value: RequestType) -> RequestType:
        if value not in PORTAL_REQUESTS:
            raise refuse(cls.refusals["type"])
        return value

    @field_validator("consent", mode="before")
    @classmethod
    def _ticked(cls, value: Any) -> bool:
        if value != "yes":
            raise refuse(N_("Please tick the box to confirm that you have read what happens."))
        return True

    @field_validator("transfer_to")
    @classmethod
    def _a_mobile_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("settlement") is not SettlementChoice.transfer:
            return None
        parsed = auth.parse_identifier(value or "")
        if parsed is None or parsed.channel != "sms":
            raise refuse(
                N_("Enter the number that should receive the balance, with the country code.")
            )
        return parsed.value

    @field_validator("reason")
    @classmethod
    def _a_listed_reason(cls, value: str | None) -> str | None:
        if value is not None and value not in REASONS:
            raise refuse(N_("Choose a reason from the list, or none."))
        return value

    @field_validator("suspend_until")
    @classmethod
    def _a_date_for_a_pause(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("type") is not RequestType.suspend:
            return None
        try:
            return date.fromisoformat(value or "").isoformat()
        except ValueError:
            raise refuse(N_("Choose the date the pause should end.")) from None

    @property
    def pause_ends_on(self) -> date | None:
        return date.fromisoformat(self.suspend_until) if self.suspend_until else None


@router.get("/my", name="portal:lines", response_class=HTMLResponse, response_model=None)
async def lines(page: PageDep, session: SubscriberDep) -> Response:
    def read(db: DbSession) -> tuple[str | None, list[Any]]:
        rows = []
        for subscriber_id in session.subscriber_ids:
            actor = owner(db, session, subscriber_id)
            for line in line_repository.lines_of_subscriber(db, actor, subscriber_id):
                open_cases = repository.list_cases(db, actor, line_id=line.id, limit=5)
                rows.append((line, repository.operator(db, line.operator_id), open_cases))
        return language_of(db, session), rows

    language, rows = await run_read(page.db, read)
    t = page.texts(language)
    iccid_query = page.request.query_params.get("msisdn", "")
    found = None
    if iccid_query:
        found = [
            line
            for line, _, _ in rows
            if line.msisdn == (auth.parse_identifier(iccid_query) or auth.Identifier("", "")).value
        ]
    return page.render(
        "portal/lines.html",
        {
            "rows": rows,
            "kinds": LINE_KIND,
            "plans": PLAN,
            "line_status": LINE_STATUS,
            "status": STATUS,
            "types": CASE_TYPE,
            "label": label,
            "iccid_query": iccid_query,
            "found": found,
        },
        t=t,
    )


def line_page(
    db: DbSession,
    page: Page,
    session: Session,
    line_id: uuid.UUID,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The line page, read and rendered in one read transaction (run it with `run_read`)."""
    t = page.texts(language_of(db, session))
    try:
        actor, line = load_line(db, session, line_id)
    except NotFound:
        return page.not_found(t)
    operator = repository.operator(db, line.operator_id)
    decision = cases.preview(
        db,
        page.state.runtime.cases,
        actor=actor,
        line_id=line.id,
        request=CaseRequest(RequestType.terminate, Channel.web),
        now=now(),
    )
    existing = [
        c
        for c in repository.list_cases(db, actor, line_id=line.id, limit=10)
        if c.status not in TERMINAL
    ]
    online = not any(b.code == "channel_not_allowed" for b in decision.blockers)
    pack = page.state.runtime.cases.packs.get(operator.policy_pack)
    pause = cases.preview(
        db,
        page.state.runtime.cases,
        actor=actor,
        line_id=line.id,
        request=CaseRequest(RequestType.suspend, Channel.web),
        now=now(),
    )
    pause_online = not any(b.code == "channel_not_allowed" for b in pause.blockers)
    port = porting.pending_port(db, page.state.runtime.cases, line=line, now=now())
    return page.render(
        "portal/line.html",
        {
            "line": line,
            "operator": operator,
            "p": preview_view(t, decision),
            "way_out": way_out(
                t,
                pack=pack,
                line=line,
                blockers=decision.blockers,
                reviews=decision.review_reasons,
                port=port,
                currency=decision.currency,
                for_case=False,
            ),
            "before": before_sending(
                t, decision=decision, country=operator.country, today=today_for(operator, now())
            ),
            "pause_online": pause_online,
            "offer_passed_on": page.request.query_params.get("offer") == "passed_on",
            "offers": retention_offers(
                t, pack, line, pause_possible=pause_online and not pause.blockers
            ),
            "pause_elsewhere": "" if pause_online else pause_elsewhere(t, pack, line),
            "port_pending": line.port_pending,
            "online": online,
            "existing": existing,
            "reasons": REASONS,
            "settlements": SETTLEMENT,
            "label": label,
            "kinds": LINE_KIND,
            "plans": PLAN,
            "types": CASE_TYPE,
            "status": STATUS,
            "error": error,
            "values": values or {},
            "can_cancel": line.status in {LineStatus.active, LineStatus.suspended},
        },
        t=t,
        status_code=status_code,
    )


@router.get(
    "/my/lines/{line_id}", name="portal:line", response_class=HTMLResponse, response_model=None
)
async def line_detail(page: PageDep, session: SubscriberDep, line_id: uuid.UUID) -> Response:
    return await run_read(page.db, lambda db: line_page(db, page, session, line_id))


@router.post("/my/lines/{line_id}/request", name="portal:request", response_model=None)
async def make_request(post: SubscriberPostDep, line_id: uuid.UUID) -> Response:
    values = post.values(*FORM_FIELDS)
    form = post.parse(RequestForm)
    if isinstance(form, FormErrors):
        return await refused(post, line_id, form.text(post.t), values)
    try:
        case_id, awaiting = await run_write(
            post.db, lambda db: open_request(db, post, line_id, form)
        )
    except NotFound:
        return post.not_found()
    except TooManyAttempts as over:
        return post.too_many(TOO_MANY_CODES, over.retry_after)
    except DomainError as error:
        return await refused(post, line_id, error.message, values)
    return post.redirect("portal:confirm" if awaiting else "portal:case", case_id=case_id)


async def refused(
    post: SubscriberPost, line_id: uuid.UUID, error: str, values: dict[str, str]
) -> Response:
    return await run_read(
        post.db,
        lambda db: line_page(
            db, post, post.session, line_id, error=error, values=values, status_code=400
        ),
    )


def open_request(
    db: DbSession, post: SubscriberPost, line_id: uuid.UUID, form: RequestForm
) -> tuple[uuid.UUID, bool]:
    """Open the case and, for a new one, send the code that confirms it: the case and whether
    the next page is the code page."""
    context = post.state.runtime.cases
    actor, line = load_line(db, post.session, line_id)
    opened = cases.open_case(
        db,
        context,
        actor=actor,
        line_id=line.id,
        case_type=form.type,
        channel=Channel.web,
        now=now(),
        reason_code=form.reason,
        comment=form.comment,
        settlement=form.settlement,
        transfer_to_msisdn=form.transfer_to,
        suspend_until=form.pause_ends_on,
        language=post.t.language,
    )
    case = opened.case
    if form.offer and opened.created:
        offers = post.state.runtime.cases.packs.get(
            repository.operator(db, line.operator_id).policy_pack
        ).document.retention_offers
        offer = retention_rules.find(offers, form.offer)
        if offer is not None and offer.kind == "pause" and form.type is RequestType.suspend:
            retention.record(db, actor=actor, line=line, offer=offer, now=now(), case_id=case.id)
    if case.status == CaseStatus.draft:
        start_code(
            db,
            context,
            post.session,
            actor,
            case.id,
            limits=post.state.code_limits,
            client=post.client,
        )
    return case.id, opened.created or case.status == CaseStatus.awaiting_verification
