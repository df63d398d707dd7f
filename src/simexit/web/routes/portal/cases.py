"""Portal cases: confirming a request with the code, its status, withdrawing and resending it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session as DbSession

from simexit.audit.service import events_for
from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.service import porting
from simexit.cases.service.common import today_for
from simexit.cases.states import CaseStatus, Trigger, available_triggers
from simexit.errors import DomainError, InvalidFields, NotFound
from simexit.lines import repository as line_repository
from simexit.models import Case, Line
from simexit.principals import Actor
from simexit.refunds import service as refunds
from simexit.transactions import run_blocking, run_read, run_write
from simexit.verification.methods import CODE_METHODS, EID_METHODS, Method
from simexit.verification.throttle import TooManyAttempts, count_code_answer
from simexit.web.deps import Page, PageDep, SubscriberDep, SubscriberPost, SubscriberPostDep
from simexit.web.forms import WebForm, trimmed, trimmed_or_none
from simexit.web.i18n import N_, Texts
from simexit.web.pages import error_page
from simexit.web.receipt import Receipt, receipt_for
from simexit.web.receipt_pdf import NoFont, render_pdf
from simexit.web.refund_destination import (
    KIND_LABELS,
    PAYOUT_LABELS,
    problems_text,
    refund_panel,
)
from simexit.web.rendering import Session
from simexit.web.routes.common import now
from simexit.web.routes.portal.common import (
    CODE_USED_UP,
    FINISHED,
    RESUBMITTABLE,
    TOO_MANY_CODES,
    TOO_MANY_TRIES,
    WRONG_CODE,
    consent_text,
    language_of,
    load_case,
    shown_code,
    start_code,
)
from simexit.web.routes.portal.guidance import WayOut, way_out
from simexit.web.security import SecureRoute
from simexit.web.texts import (
    CASE_TYPE,
    EFFECTIVE_LABEL,
    METHOD,
    STATUS,
    WHEN_APPROVED,
    label,
    next_step,
)
from simexit.web.views import asked_view, case_findings, preview_view, timeline

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

WRONG_PIN = N_("That PIN is not right. You have {left} tries left.")
PIN_LOCKED = N_("Too many wrong PINs: your PIN is locked for today. Use the code instead.")
NO_PDF = N_("The receipt cannot be made as a PDF here. The receipt page shows the same.")
# Submitted but not decided: the date it would take effect is not known yet.
UNDECIDED = frozenset(
    {
        CaseStatus.submitted,
        CaseStatus.in_review,
        CaseStatus.information_required,
        CaseStatus.blocked,
    }
)


class ConfirmForm(WebForm):
    code: Annotated[str, trimmed(20)] = ""


class PinForm(WebForm):
    pin: Annotated[str, trimmed(20)] = ""


class ResubmitForm(WebForm):
    comment: Annotated[str | None, trimmed_or_none(2000)] = None


# -- confirm with code ------------------------------------------------------------------------


def confirm_page(
    db: DbSession,
    page: Page,
    session: Session,
    case_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = page.texts(language_of(db, session))
    try:
        _actor, case = load_case(db, session, case_id)
    except NotFound:
        return page.not_found(t)
    if case.status != CaseStatus.awaiting_verification:
        return page.redirect("portal:case", case_id=case.id)
    line = db.get(Line, case.line_id)
    verification = repository.latest_verification(db, case.id)
    if line is None:
        return page.not_found(t)
    return page.render(
        "portal/confirm.html",
        {
            "case": case,
            "line": line,
            "consent": consent_text(t, case, line),
            "destination": verification.destination_masked if verification else "",
            "shown_code": shown_code(
                db, page.state.code_secret, t, verification.id if verification else None
            ),
            "pin_offered": pin_offered(db, case),
            "eid_method": eid_method_of(case),
            "eid_label": label(t, METHOD, eid_method_of(case)),
            "code_sent": verification is not None
            and verification.method in {m.value for m in CODE_METHODS},
            "error": error,
            "types": CASE_TYPE,
            "label": label,
        },
        t=t,
        status_code=status_code,
    )


async def confirm_refused(post: SubscriberPost, case_id: uuid.UUID, error: str) -> Response:
    return await run_read(
        post.db,
        lambda db: confirm_page(db, post, post.session, case_id, error=error, status_code=400),
    )


@router.get(
    "/my/cases/{case_id}/confirm",
    name="portal:confirm",
    response_class=HTMLResponse,
    response_model=None,
)
async def confirm_form(page: PageDep, session: SubscriberDep, case_id: uuid.UUID) -> Response:
    return await run_read(page.db, lambda db: confirm_page(db, page, session, case_id))


@router.post("/my/cases/{case_id}/confirm", name="portal:confirm_post", response_model=None)
async def confirm(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    """Two transactions: the code attempt is committed whatever the outcome (it counts), and
    only a passed code sends the request on."""
    form = post.parse(ConfirmForm)
    code = form.code if isinstance(form, ConfirmForm) else ""  # nothing in it can be refused
    context = post.state.runtime.cases

    def check(db: DbSession, actor: Actor, case: Case) -> cases.ConfirmResult:
        return cases.confirm_verification(
            db, context, actor=actor, case_id=case.id, code=code, now=now()
        )

    return await _answer_then_submit(post, case_id, check, wrong=WRONG_CODE, used_up=CODE_USED_UP)


def eid_method_of(case: Case) -> str | None:
    """The national eID this request asks for, when the pack names one: the page offers it."""
    method = next((m for m in cases.allowed_methods(case) if m in EID_METHODS), None)
    return method.value if method is not None else None


def pin_offered(db: DbSession, case: Case) -> bool:
    """The PIN form shows where the operator's pack accepts a PIN and the subscriber has one."""
    if Method.account_pin not in cases.allowed_methods(case):
        return False
    return line_repository.subscriber(db, case.subscriber_id).account_pin_hash is not None


@router.post("/my/cases/{case_id}/pin", name="portal:pin", response_model=None)
async def confirm_with_pin(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    """As the code: the PIN attempt is committed whatever the outcome, within the same answer
    limits, and only a right PIN sends the request on."""
    form = post.parse(PinForm)
    pin = form.pin if isinstance(form, PinForm) else ""
    context = post.state.runtime.cases

    def check(db: DbSession, actor: Actor, case: Case) -> cases.ConfirmResult:
        return cases.verify_pin(db, context, actor=actor, case_id=case.id, pin=pin, now=now())

    return await _answer_then_submit(post, case_id, check, wrong=WRONG_PIN, used_up=PIN_LOCKED)


async def _answer_then_submit(
    post: SubscriberPost,
    case_id: uuid.UUID,
    check: Callable[[DbSession, Actor, Case], cases.ConfirmResult],
    *,
    wrong: str,
    used_up: str,
) -> Response:
    """The answer is counted and committed on its own before it is checked (a refused one
    counts too), checked in a second transaction, and only a passed one sends the request on
    in a third. `wrong` and `used_up` are the messages of a wrong answer and of no tries left."""
    context, session, t = post.state.runtime.cases, post.session, post.t
    limits, client = post.state.code_limits, post.client

    def count_answer(db: DbSession) -> int | None:
        _actor, case = load_case(db, session, case_id)
        return count_code_answer(db, limits, case_id=case.id, client=client, now=now())

    def checked(db: DbSession) -> cases.ConfirmResult:
        actor, case = load_case(db, session, case_id)
        return check(db, actor, case)

    def submit(db: DbSession) -> None:
        actor, case = load_case(db, session, case_id)
        line = line_repository.get_line(db, actor, case.line_id)
        cases.submit(
            db,
            context,
            actor=actor,
            case_id=case.id,
            now=now(),
            consent_text=consent_text(t, case, line),
        )

    try:
        wait = await run_write(post.db, count_answer)
        if wait is not None:
            return post.too_many(TOO_MANY_TRIES, wait)
        result = await run_write(post.db, checked)
        if result.outcome is not cases.VerificationOutcome.passed:
            if result.outcome is cases.VerificationOutcome.wrong_code:
                message = t(wrong, left=result.attempts_left)
            else:
                message = t(used_up)
            return await confirm_refused(post, case_id, message)
        await run_write(post.db, submit)
    except NotFound:
        return post.not_found()
    except DomainError as error:
        return await confirm_refused(post, case_id, error.message)
    return post.redirect("portal:case", case_id=case_id)


@router.post("/my/cases/{case_id}/resend", name="portal:resend", response_model=None)
async def resend(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    context, session = post.state.runtime.cases, post.session
    limits, client = post.state.code_limits, post.client

    def send_again(db: DbSession) -> None:
        actor, case = load_case(db, session, case_id)
        start_code(db, context, session, actor, case.id, limits=limits, client=client)

    try:
        await run_write(post.db, send_again)
    except NotFound:
        return post.not_found()
    except TooManyAttempts as refused:
        return post.too_many(TOO_MANY_CODES, refused.retry_after)
    except DomainError as error:
        return await confirm_refused(post, case_id, error.message)
    return post.redirect("portal:confirm", case_id=case_id)


# -- status -----------------------------------------------------------------------------------


def case_page(
    db: DbSession,
    page: Page,
    session: Session,
    case_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = page.texts(language_of(db, session))
    try:
        actor, case = load_case(db, session, case_id)
    except NotFound:
        return page.not_found(t)
    line = db.get(Line, case.line_id)
    operator = repository.operator(db, case.operator_id)
    events = events_for(db, subject_type="case", subject_id=case.id)
    today = today_for(operator, now())
    follow_up = next(
        (
            c
            for c in repository.list_cases(db, actor, line_id=case.line_id)
            if c.parent_case_id == case.id
        ),
        None,
    )
    status = case.status
    can_withdraw = Trigger.withdraw in available_triggers(status) and not (
        status is CaseStatus.approved
        and case.effective_date is not None
        and case.effective_date <= today
    )
    expected = (
        None
        if status in FINISHED
        else case.effective_date
        if status not in {CaseStatus.in_review, CaseStatus.blocked}
        else (case.sla_due_date or case.effective_date)
    )
    p = preview_view(t, case.preview)
    blocked_way_out = WayOut()
    if status in {CaseStatus.blocked, CaseStatus.in_review} and line is not None:
        blocked_way_out = way_out(
            t,
            pack=page.state.runtime.cases.packs.get(operator.policy_pack),
            line=line,
            blockers=case.blockers,
            reviews=case.review_reasons,
            port=porting.pending_port(db, page.state.runtime.cases, line=line, now=now()),
            currency=case.preview.currency if case.preview is not None else None,
            for_case=True,
        )
    effective_text, undecided_date = p.effective_date, False
    if (
        status in UNDECIDED
        and case.effective_date is not None
        and case.effective_date <= (case.sla_due_date or today)
    ):
        # An "immediate" rule dates the preview today; it takes effect only once approved.
        effective_text = t(WHEN_APPROVED, date=t.date(case.sla_due_date or today))
        undecided_date = True  # the last day billed is that day too: not known yet either
    return page.render(
        "portal/case.html",
        {
            "case": case,
            "line": line,
            "operator": operator,
            "p": p,
            # A request that ended without taking effect shows no consequences.
            "show_preview": status not in FINISHED,
            "effective_label": label(t, EFFECTIVE_LABEL, case.type),
            "effective_text": effective_text,
            "hide_billing_end": undecided_date,
            "ends_line": case.type == "terminate",
            "pause_until": t.date(case.suspend_until) if case.type == "suspend" else "",
            "f": case_findings(t, case, today),
            "way_out": blocked_way_out,
            "timeline": timeline(t, events, staff_view=False, timezone=operator.timezone),
            "can_resubmit": status in RESUBMITTABLE,
            "asked": asked_view(db, t, case),
            "max_upload_mb": f"{page.state.runtime.cases.attachment_max_bytes / (1024 * 1024):g}",
            "follow_up": follow_up,
            "next_step": next_step(t, case.type, case.status),
            "status_label": label(t, STATUS, case.status),
            "type_label": label(t, CASE_TYPE, case.type),
            "can_withdraw": can_withdraw,
            "expected": t.date(expected),
            "error": error,
            "awaiting": status is CaseStatus.awaiting_verification,
            "has_receipt": case.submitted_at is not None,
            "refund": refund_panel(db, page.state.runtime.cases, actor, case),
            "refund_kinds": KIND_LABELS,
            "payout_states": PAYOUT_LABELS,
        },
        t=t,
        status_code=status_code,
    )


async def case_refused(
    post: SubscriberPost, case_id: uuid.UUID, error: str, *, status_code: int = 409
) -> Response:
    return await run_read(
        post.db,
        lambda db: case_page(db, post, post.session, case_id, error=error, status_code=status_code),
    )


@router.get(
    "/my/cases/{case_id}", name="portal:case", response_class=HTMLResponse, response_model=None
)
async def case_status(page: PageDep, session: SubscriberDep, case_id: uuid.UUID) -> Response:
    return await run_read(page.db, lambda db: case_page(db, page, session, case_id))


@router.post("/my/cases/{case_id}/withdraw", name="portal:withdraw", response_model=None)
async def withdraw(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    context, session = post.state.runtime.cases, post.session

    def withdraw_case(db: DbSession) -> None:
        actor, case = load_case(db, session, case_id)
        cases.withdraw(db, context, actor=actor, case_id=case.id, now=now())

    try:
        await run_write(post.db, withdraw_case)
    except NotFound:
        return post.not_found()
    except DomainError:
        return await case_refused(
            post, case_id, post.t(N_("This request can no longer be withdrawn."))
        )
    return post.redirect("portal:case", case_id=case_id)


@router.post("/my/cases/{case_id}/refund-destination", name="portal:refund", response_model=None)
async def give_refund_destination(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    """Where the subscriber wants the refund paid: the same checks as the API and the console."""
    values = post.values("kind", "holder_name", "account", "bank_id", limit=140)
    context, session = post.state.runtime.cases, post.session

    def give(db: DbSession) -> None:
        actor, case = load_case(db, session, case_id)
        refunds.give_destination(
            db, context, actor=actor, case_id=case.id, values=values, now=now()
        )

    try:
        await run_write(post.db, give)
    except NotFound:
        return post.not_found()
    except InvalidFields as invalid:
        return await case_refused(post, case_id, problems_text(post.t, invalid))
    except DomainError as error:
        return await case_refused(post, case_id, error.message)
    return post.redirect("portal:case", case_id=case_id)


@router.post("/my/cases/{case_id}/resubmit", name="portal:resubmit", response_model=None)
async def resubmit(post: SubscriberPostDep, case_id: uuid.UUID) -> Response:
    """A rejected or failed request starts again as a new one, confirmed with a new code."""
    form = post.parse(ResubmitForm)
    comment = form.comment if isinstance(form, ResubmitForm) else None  # nothing can be refused
    context, session = post.state.runtime.cases, post.session
    limits, client = post.state.code_limits, post.client

    def send_anew(db: DbSession) -> tuple[uuid.UUID, bool]:
        actor, case = load_case(db, session, case_id)
        fresh = cases.resubmit(
            db, context, actor=actor, case_id=case.id, now=now(), comment=comment
        )
        if fresh.status == CaseStatus.draft:
            start_code(db, context, session, actor, fresh.id, limits=limits, client=client)
        awaiting = fresh.status in {
            CaseStatus.draft,
            CaseStatus.awaiting_verification,
        }
        return fresh.id, awaiting

    try:
        fresh_id, awaiting = await run_write(post.db, send_anew)
    except NotFound:
        return post.not_found()
    except TooManyAttempts as refused:
        return post.too_many(TOO_MANY_CODES, refused.retry_after)
    except DomainError:
        return await case_refused(
            post, case_id, post.t(N_("A new request cannot be sent for this one now."))
        )
    return post.redirect("portal:confirm" if awaiting else "portal:case", case_id=fresh_id)


# -- receipt ----------------------------------------------------------------------------------


def receipt_of(
    db: DbSession, page: Page, session: Session, case_id: uuid.UUID
) -> tuple[Texts, Receipt | None]:
    """The receipt of a sent request in the page's language (None for one never sent)."""
    t = page.texts(language_of(db, session))
    _actor, case = load_case(db, session, case_id)
    return t, receipt_for(db, t, case, now=now())


@router.get(
    "/my/cases/{case_id}/receipt",
    name="portal:receipt",
    response_class=HTMLResponse,
    response_model=None,
)
async def receipt_page(page: PageDep, session: SubscriberDep, case_id: uuid.UUID) -> Response:
    try:
        t, receipt = await run_read(page.db, lambda db: receipt_of(db, page, session, case_id))
    except NotFound:
        return page.not_found()
    if receipt is None:
        return page.not_found(t)
    return page.render("portal/receipt.html", {"receipt": receipt, "case_id": case_id}, t=t)


@router.get("/my/cases/{case_id}/receipt.pdf", name="portal:receipt_pdf", response_model=None)
async def receipt_pdf(page: PageDep, session: SubscriberDep, case_id: uuid.UUID) -> Response:
    try:
        t, receipt = await run_read(page.db, lambda db: receipt_of(db, page, session, case_id))
    except NotFound:
        return page.not_found()
    if receipt is None:
        return page.not_found(t)
    try:
        body = await run_blocking(lambda: render_pdf(receipt))  # a second of CPU: off the loop
    except NoFont:
        return error_page(page.state, page.request, t, t(NO_PDF), status_code=503)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{receipt.filename}"',
            "Cache-Control": "no-store",
        },
    )
