"""Opening a request for a caller (phone, store, chat): find the line, show what happens, record
the identity check and that the consent text was read out, and submit — through the same case
service calls as the API's `channel=agent` flow (open, attest identity, submit), in one
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator, field_validator
from sqlalchemy.orm import Session as DbSession

from simexit.cases import service as cases
from simexit.errors import DomainError, NotFound
from simexit.lines import repository as lines
from simexit.models import Line, StaffUser, Subscriber
from simexit.policies.model import CaseRequest, Channel, RequestType, SettlementChoice
from simexit.transactions import run_read, run_write
from simexit.verification.methods import ATTESTED_METHODS, Method
from simexit.web.deps import Page, PageDep, StaffDep, StaffPost, StaffPostDep
from simexit.web.forms import FormErrors, WebForm, blank_is_none, refuse, trimmed_or_none
from simexit.web.i18n import N_, Texts
from simexit.web.routes.common import now
from simexit.web.routes.console.permissions import staff_actor
from simexit.web.security import SecureRoute
from simexit.web.subscriber_auth import parse_identifier
from simexit.web.texts import CHANNEL, LINE_KIND, METHOD, PLAN, REASONS, SETTLEMENT, label
from simexit.web.views import PreviewView, preview_view

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

# How a caller reaches the agent; `agent` is the generic staff channel packs name.
CALLER_CHANNELS = (Channel.phone, Channel.store, Channel.chat, Channel.agent)
CONSENT_SCRIPT = N_(
    "Read out to the caller by {agent}: what happens to {msisdn}, shown on the screen, ending "
    "on {date}. The caller confirmed they want to cancel it."
)
NOT_READ_OUT = N_("Tick the box once you have read the consequences out to the caller.")
NO_SUCH_NUMBER = N_("No line of this operator has that number.")


class CallerForm(WebForm):
    line_id: uuid.UUID
    channel: Channel
    method: Method
    document_last4: Annotated[str | None, trimmed_or_none(4)] = None
    consent_read: bool = False
    reason: Annotated[str | None, trimmed_or_none(40)] = None
    comment: Annotated[str | None, trimmed_or_none(2000)] = None
    settlement: Annotated[SettlementChoice | None, BeforeValidator(blank_is_none)] = None

    refusals: ClassVar[Mapping[str, str]] = {
        "line_id": NO_SUCH_NUMBER,
        "channel": N_("Choose how the caller reached you."),
        "method": N_("Choose how you checked the caller's identity."),
        "settlement": N_("Choose what should happen to the remaining balance."),
    }

    @field_validator("channel")
    @classmethod
    def _a_caller_channel(cls, value: Channel) -> Channel:
        if value not in CALLER_CHANNELS:
            raise refuse(cls.refusals["channel"])
        return value

    @field_validator("method")
    @classmethod
    def _checked_by_staff(cls, value: Method) -> Method:
        if value not in ATTESTED_METHODS:
            raise refuse(cls.refusals["method"])
        return value

    @field_validator("consent_read", mode="before")
    @classmethod
    def _ticked(cls, value: Any) -> bool:
        if value != "yes":
            raise refuse(NOT_READ_OUT)
        return True

    @field_validator("reason")
    @classmethod
    def _a_listed_reason(cls, value: str | None) -> str | None:
        if value is not None and value not in REASONS:
            raise refuse(N_("Choose a reason from the list, or none."))
        return value


@dataclass(frozen=True)
class Found:
    """The line the agent is about to act on, and what a cancellation would do to it."""

    line: Line
    subscriber: Subscriber
    preview: PreviewView
    consent: str


def _channel(raw: str | None) -> Channel:
    try:
        chosen = Channel(raw or "")
    except ValueError:
        return Channel.phone
    return chosen if chosen in CALLER_CHANNELS else Channel.phone


def consent_script(t: Texts, staff: StaffUser, line: Line, preview: PreviewView) -> str:
    return t(CONSENT_SCRIPT, agent=staff.full_name, msisdn=line.msisdn, date=preview.effective_date)


def _found(
    db: DbSession, page: Page, staff: StaffUser, t: Texts, line: Line, channel: Channel
) -> Found:
    decision = cases.preview(
        db,
        page.state.runtime.cases,
        actor=staff_actor(staff),
        line_id=line.id,
        request=CaseRequest(type=RequestType.terminate, channel=channel),
        now=now(),
    )
    shown = preview_view(t, decision)
    return Found(
        line, lines.subscriber(db, line.subscriber_id), shown, consent_script(t, staff, line, shown)
    )


def _lookup(
    db: DbSession, page: Page, staff: StaffUser, t: Texts, number: str, channel: Channel
) -> list[Found]:
    parsed = parse_identifier(number)
    if parsed is None or parsed.channel != "sms":
        return []
    found = lines.find_lines_by_msisdn(db, staff_actor(staff), parsed.value)
    return [_found(db, page, staff, t, line, channel) for line in found]


def _render(
    page: Page,
    staff: StaffUser,
    t: Texts,
    *,
    number: str,
    channel: Channel,
    found: list[Found],
    error: str | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page.render(
        "console/open.html",
        {
            "staff": staff,
            "number": number,
            "channel": channel.value,
            "found": found,
            "searched": bool(number),
            "channels": [(c.value, label(t, CHANNEL, c.value)) for c in CALLER_CHANNELS],
            "methods": [(m.value, label(t, METHOD, m.value)) for m in sorted(ATTESTED_METHODS)],
            "reasons": REASONS,
            "settlements": SETTLEMENT,
            "kinds": LINE_KIND,
            "plans": PLAN,
            "label": label,
            "error": error,
            "values": values or {},
        },
        t=t,
        status_code=status_code,
    )


@router.get("/console/open", name="console:open", response_class=HTMLResponse, response_model=None)
async def open_for_caller(page: PageDep, staff: StaffDep) -> Response:
    query = page.request.query_params
    number, channel = query.get("number", "").strip()[:40], _channel(query.get("channel"))
    t = page.texts(staff.language)
    found = (
        await run_read(page.db, lambda db: _lookup(db, page, staff, t, number, channel))
        if number
        else []
    )
    return _render(page, staff, t, number=number, channel=channel, found=found)


def _open(db: DbSession, post: StaffPost, t: Texts, form: CallerForm) -> uuid.UUID:
    """Open, attest and submit in the caller's one transaction: the case exists only if all
    three were accepted."""
    staff = post.staff
    actor, ctx, moment = staff_actor(staff), post.state.runtime.cases, now()
    line = lines.get_line(db, actor, form.line_id)
    opened = cases.open_case(
        db,
        ctx,
        actor=actor,
        line_id=line.id,
        case_type=RequestType.terminate,
        channel=form.channel,
        now=moment,
        reason_code=form.reason,
        comment=form.comment,
        settlement=form.settlement,
        language=lines.subscriber(db, line.subscriber_id).language,
    )
    if not opened.created:
        return opened.case.id  # the line's open cancellation: the agent carries on there
    cases.attest_identity(
        db,
        ctx,
        actor=actor,
        case_id=opened.case.id,
        method=form.method,
        now=moment,
        document_last4=form.document_last4,
        note=t(
            N_("Checked by {agent} with the caller ({channel})."),
            agent=staff.full_name,
            channel=label(t, CHANNEL, form.channel.value),
        ),
    )
    preview = preview_view(t, opened.case.preview)
    cases.submit(
        db,
        ctx,
        actor=actor,
        case_id=opened.case.id,
        now=moment,
        consent_text=consent_script(t, staff, line, preview),
    )
    return opened.case.id


FIELDS = ("channel", "method", "document_last4", "reason", "comment", "settlement", "number")


@router.post("/console/open", name="console:open_post", response_model=None)
async def open_post(post: StaffPostDep) -> Response:
    t = post.texts(post.staff.language)
    form = post.parse(CallerForm)
    number = post.values("number", limit=40)["number"]
    channel = _channel(post.values("channel")["channel"])
    if isinstance(form, FormErrors):
        error = form.text(t)
    else:
        try:
            case_id = await run_write(post.db, lambda db: _open(db, post, t, form))
        except NotFound:
            error = t(NO_SUCH_NUMBER)
        except DomainError as refused:
            error = t(refused.message)
        else:
            return post.redirect("console:case", case_id=case_id)
    found = (
        await run_read(post.db, lambda db: _lookup(db, post, post.staff, t, number, channel))
        if number
        else []
    )
    return _render(
        post,
        post.staff,
        t,
        number=number,
        channel=channel,
        found=found,
        error=error,
        values=post.values(*FIELDS),
        status_code=400,
    )
