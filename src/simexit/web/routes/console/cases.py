"""Console cases: the review queue, a case's detail page and the decisions taken on it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, ClassVar

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import field_validator
from sqlalchemy.orm import Session as DbSession

from simexit.audit.service import events_for
from simexit.cases import repository, teardown
from simexit.cases import service as cases
from simexit.cases.service.common import today_for
from simexit.cases.service.review import REJECTION_REASONS
from simexit.cases.sla import sla_clock
from simexit.cases.states import OPEN, CaseStatus, Trigger
from simexit.errors import DomainError, InvalidFields, NotFound
from simexit.models import Line, StaffUser, Subscriber
from simexit.principals import StaffRole
from simexit.refunds import service as refunds
from simexit.transactions import run_read, run_write
from simexit.verification.methods import ATTESTED_METHODS, Method
from simexit.verification.states import VerificationStatus
from simexit.web.deps import Page, PageDep, StaffDep, StaffPost, StaffPostDep
from simexit.web.forms import FormErrors, WebForm, refuse, trimmed, trimmed_or_none
from simexit.web.i18n import N_, Texts
from simexit.web.refund_destination import (
    KIND_LABELS,
    PAYOUT_LABELS,
    problems_text,
    refund_panel,
)
from simexit.web.rendering import is_htmx
from simexit.web.routes.common import now
from simexit.web.routes.console import why
from simexit.web.routes.console.asked import information_panel
from simexit.web.routes.console.erasure import erasure_state
from simexit.web.routes.console.permissions import (
    ASSIGNING_ROLES,
    can_ask,
    can_attest,
    can_resubmit,
    permitted_actions,
    staff_actor,
)
from simexit.web.routes.console.sla import clock_text
from simexit.web.security import SecureRoute
from simexit.web.texts import (
    CASE_TYPE,
    CHANNEL,
    INFORMATION_KIND,
    METHOD,
    REASONS,
    REJECTION,
    STATUS,
    VERIFICATION_STATUS,
    label,
)
from simexit.web.views import OPEN_FOR_SLA, actor_text, case_findings, preview_view, timeline

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

# The teardown steps (`cases.teardown.STEPS`) and their states, as the case page names them.
TEARDOWN_STEP = {
    "bar_outgoing": N_("Bar the line in the network"),
    "hss_deactivate": N_("Disable the subscriber in the network"),
    "esim_release": N_("Release the eSIM profile"),
    "billing_close": N_("Close the billing account"),
    "settlement": N_("Settle the balance"),
    "charges": N_("Post the fees shown before"),
    "line_terminated": N_("Mark the line cancelled"),
    "line_ported": N_("Mark the number ported out"),
    "line_suspended": N_("Mark the line paused"),
    "line_resumed": N_("Lift the pause in the network"),
    "line_reactivated": N_("Enable the subscriber in the network again"),
    "esim_new_profile": N_("Order a new eSIM profile"),
}
STEP_STATE = {
    "pending": N_("Not done yet"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}

# A case shows its steps once they may have started.
TEARDOWN_SHOWN = frozenset({CaseStatus.executing, CaseStatus.completed, CaseStatus.failed})

# After these the agent is done with the case and goes on to the next one in the queue.
MOVES_ON = frozenset({"approve", "reject", "withdraw", "retry"})
NEXT_STATUSES = ("in_review",)
NOT_PERMITTED = N_("You may not do that with this case now.")
CANNOT_ATTEST = N_("This identity check cannot be recorded now.")


class ConsoleAction(StrEnum):
    """The last part of `POST /console/cases/{id}/{action}`."""

    attest = "attest"
    resubmit = "resubmit"
    submit = Trigger.submit.value
    approve = Trigger.approve.value
    reject = Trigger.reject.value
    retry = Trigger.retry.value
    withdraw = Trigger.withdraw.value

    @classmethod
    def of(cls, value: str) -> ConsoleAction | None:
        try:
            return cls(value)
        except ValueError:
            return None


class ConsoleActionForm(WebForm):
    """What every decision may carry: a note for the case's trail."""

    note: Annotated[str | None, trimmed_or_none(2000)] = None


class RejectForm(ConsoleActionForm):
    # The service refuses a reason it does not know, with its own message.
    reason: Annotated[str, trimmed(40)] = ""


class AttestForm(ConsoleActionForm):
    method: Method
    document_type: Annotated[str | None, trimmed_or_none(40)] = None
    document_last4: Annotated[str | None, trimmed_or_none(4)] = None

    refusals: ClassVar[Mapping[str, str]] = {"method": CANNOT_ATTEST}

    @field_validator("method")
    @classmethod
    def _recorded_by_staff(cls, value: Method) -> Method:
        if value not in ATTESTED_METHODS:
            raise refuse(CANNOT_ATTEST)
        return value


FORMS: dict[ConsoleAction, type[ConsoleActionForm]] = {
    ConsoleAction.attest: AttestForm,
    ConsoleAction.reject: RejectForm,
}


class NotPermitted(Exception):
    """The staff member may not take this action on the case as it is now."""


def decided_notice(
    db: DbSession, page: Page, staff: StaffUser, t: Texts, *, on_next: bool
) -> str | None:
    """What the previous page decided (`?decided=<case id>` after a decision moved on)."""
    raw = page.request.query_params.get("decided", "")
    if not raw:
        return None
    try:
        case = repository.get_case(db, staff_actor(staff), uuid.UUID(raw))
    except (ValueError, NotFound):
        return None
    message = (
        N_("{reference}: {status}. This is the next case in the queue.")
        if on_next
        else N_("{reference}: {status}. Nothing else waits for you in the queue.")
    )
    return t(message, reference=case.reference, status=label(t, STATUS, case.status))


def detail(
    db: DbSession,
    page: Page,
    staff: StaffUser,
    case_id: uuid.UUID,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = page.texts(staff.language)
    try:
        case = repository.get_case(db, staff_actor(staff), case_id)
    except NotFound:
        return page.not_found(t)
    line = db.get(Line, case.line_id)
    subscriber = db.get(Subscriber, case.subscriber_id)
    verifications = repository.verifications_of(db, case.id)
    events = events_for(db, subject_type="case", subject_id=case.id)
    operator = repository.operator(db, case.operator_id)
    moment = now()
    today = today_for(operator, moment)
    follow_ups = [
        c
        for c in repository.list_cases(db, staff_actor(staff), line_id=case.line_id)
        if c.parent_case_id == case.id
    ]
    status, role = case.status, StaffRole(staff.role)
    has_identity = any(v.status is VerificationStatus.passed for v in verifications)
    actions = [
        a.value
        for a in permitted_actions(status, role)
        if a is not Trigger.submit or has_identity or status is CaseStatus.blocked
    ]
    sources = page.state.runtime.packs.get(operator.policy_pack).sources
    currency = case.preview.currency if case.preview is not None else None
    clock = sla_clock(case.sla_due_date, timezone=operator.timezone, now=moment)
    assignee = db.get(StaffUser, case.assignee_id) if case.assignee_id else None
    next_id = repository.next_in_queue(
        db, staff_actor(staff), statuses=NEXT_STATUSES, staff_id=staff.id, exclude=case.id
    )
    return page.render(
        "console/case.html",
        {
            "staff": staff,
            "case": case,
            "line": line,
            "subscriber": subscriber,
            "verifications": verifications,
            "p": preview_view(t, case.preview),
            "f": case_findings(t, case, today),
            "why_review": why.reasons(t, case.review_reasons, sources, currency),
            "why_blocked": why.reasons(t, case.blockers, sources, currency),
            "clock": clock_text(t, clock) if clock and status in OPEN_FOR_SLA else "",
            "timezone": operator.timezone,
            "timeline": timeline(t, events, staff_view=True, timezone=operator.timezone),
            "actions": actions,
            "resubmit": can_resubmit(status, role) and not follow_ups,
            "follow_ups": follow_ups,
            "attest": can_attest(status),
            "reasons": sorted(REJECTION_REASONS),
            "rejection": REJECTION,
            "methods": sorted(m.value for m in ATTESTED_METHODS),
            "method_labels": METHOD,
            "verification_status": VERIFICATION_STATUS,
            "actor_text": actor_text,
            "channel": label(t, CHANNEL, case.channel),
            "reason": label(t, REASONS, case.reason_code),
            "statuses": STATUS,
            "types": CASE_TYPE,
            "label": label,
            "error": error,
            "erasure": erasure_state(db, t, case.subscriber_id),
            "refund": refund_panel(db, page.state.runtime.cases, staff_actor(staff), case),
            "refund_kinds": KIND_LABELS,
            "payout_states": PAYOUT_LABELS,
            "teardown": teardown.progress(case.type, repository.teardown_records(db, case.id))
            if case.status in TEARDOWN_SHOWN
            else [],
            "step_labels": TEARDOWN_STEP,
            "step_states": STEP_STATE,
            "assignee": assignee,
            "assignable": status in OPEN,
            "colleagues": (
                repository.staff_of_operator(db, staff.operator_id)
                if role in ASSIGNING_ROLES
                else []
            ),
            "next_id": next_id,
            "ask": can_ask(status, role),
            "ask_kinds": INFORMATION_KIND,
            "ask_due": (today + timedelta(days=7)).isoformat(),
            "information": information_panel(db, t, case),
            "decided": decided_notice(db, page, staff, t, on_next=True),
        },
        t=t,
        status_code=status_code,
    )


@router.get(
    "/console/cases/{case_id}",
    name="console:case",
    response_class=HTMLResponse,
    response_model=None,
)
async def case_detail(page: PageDep, staff: StaffDep, case_id: uuid.UUID) -> Response:
    return await run_read(page.db, lambda db: detail(db, page, staff, case_id))


@router.post(
    "/console/cases/{case_id}/refund-destination", name="console:refund", response_model=None
)
async def give_refund_destination(post: StaffPostDep, case_id: uuid.UUID) -> Response:
    values = post.values("kind", "holder_name", "account", "bank_id", limit=140)
    try:
        await run_write(post.db, lambda db: _give_refund_destination(db, post, case_id, values))
    except NotFound:
        return post.not_found()
    except InvalidFields as invalid:
        return await refused(post, case_id, problems_text(post.t, invalid))
    except DomainError as error:
        return await refused(post, case_id, error.message)
    return post.redirect("console:case", case_id=case_id)


def _give_refund_destination(
    db: DbSession, post: StaffPost, case_id: uuid.UUID, values: dict[str, str]
) -> None:
    refunds.give_destination(
        db,
        post.state.runtime.cases,
        actor=staff_actor(post.staff),
        case_id=case_id,
        values=values,
        now=now(),
    )


@router.post("/console/cases/{case_id}/{action}", name="console:act", response_model=None)
async def act(post: StaffPostDep, case_id: uuid.UUID, action: str) -> Response:
    chosen = ConsoleAction.of(action)
    form = post.parse(FORMS.get(chosen, ConsoleActionForm) if chosen else ConsoleActionForm)
    if isinstance(form, FormErrors):
        return await refused(post, case_id, form.text(post.t))
    try:
        target = await run_write(post.db, lambda db: decide(db, post, case_id, chosen, form))
    except NotPermitted:
        return post.error(post.t(NOT_PERMITTED), status_code=403)
    except NotFound:
        return post.not_found()
    except DomainError as error:
        return await refused(post, case_id, error.message)
    if chosen is not None and chosen.value in MOVES_ON:
        return await _move_on(post, target)
    return post.redirect("console:case", case_id=target)


async def _move_on(post: StaffPost, decided: uuid.UUID) -> Response:
    """After a decision, the next case in the queue (saying what was decided), or the queue."""
    found = await run_read(
        post.db,
        lambda db: repository.next_in_queue(
            db,
            staff_actor(post.staff),
            statuses=NEXT_STATUSES,
            staff_id=post.staff.id,
            exclude=decided,
        ),
    )
    if found is None:
        return post.redirect("console:queue", query={"decided": str(decided)})
    target = post.state.redirect(post.request, "console:case", case_id=found)
    location = target.headers.get("location") or target.headers.get("hx-redirect") or ""
    return post.state.redirect_to(post.request, f"{location}?decided={decided}")


async def refused(post: StaffPost, case_id: uuid.UUID, error: str) -> Response:
    """The case page again, with why the decision was not taken."""
    # htmx swaps only 2xx answers; the page with the error replaces <main> either way.
    code = 200 if is_htmx(post.request) else 400
    return await run_read(
        post.db,
        lambda db: detail(db, post, post.staff, case_id, error=error, status_code=code),
    )


def decide(
    db: DbSession,
    post: StaffPost,
    case_id: uuid.UUID,
    action: ConsoleAction | None,
    form: ConsoleActionForm,
) -> uuid.UUID:
    """Take `action` on the case, if the staff member's role and the case's state allow it
    (an unknown action is never allowed): the case to show next (a resubmitted case's
    follow-up)."""
    actor, ctx, moment, note = staff_actor(post.staff), post.state.runtime.cases, now(), form.note
    case = repository.get_case(db, actor, case_id)
    status, role = case.status, StaffRole(post.staff.role)
    if isinstance(form, AttestForm):
        if not can_attest(status):
            raise DomainError(post.t(CANNOT_ATTEST))
        cases.attest_identity(
            db,
            ctx,
            actor=actor,
            case_id=case.id,
            method=form.method,
            now=moment,
            document_type=form.document_type,
            document_last4=form.document_last4,
            note=note,
        )
        return case.id
    if action is ConsoleAction.resubmit:
        if not can_resubmit(status, role):
            raise NotPermitted
        return cases.resubmit(db, ctx, actor=actor, case_id=case.id, now=moment, comment=note).id
    if action is None or action not in {a.value for a in permitted_actions(status, role)}:
        raise NotPermitted
    if action is ConsoleAction.submit:
        cases.submit(db, ctx, actor=actor, case_id=case.id, now=moment)
    elif action is ConsoleAction.approve:
        cases.approve(db, ctx, actor=actor, case_id=case.id, now=moment, note=note)
    elif action is ConsoleAction.reject and isinstance(form, RejectForm):
        cases.reject(
            db,
            ctx,
            actor=actor,
            case_id=case.id,
            reason_code=form.reason,
            now=moment,
            note=note,
        )
    elif action is ConsoleAction.retry:
        cases.retry(db, ctx, actor=actor, case_id=case.id, now=moment, note=note)
    elif action is ConsoleAction.withdraw:
        cases.withdraw(db, ctx, actor=actor, case_id=case.id, now=moment, note=note)
    return case.id
