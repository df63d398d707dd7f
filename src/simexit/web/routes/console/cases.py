"""Console cases: the review queue, a case's detail page and the decisions taken on it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from simexit.audit.service import events_for
from simexit.cases import repository, teardown
from simexit.cases import service as cases
from simexit.cases.service.common import today_for
from simexit.cases.service.review import REJECTION_REASONS
from simexit.cases.states import CaseStatus, Trigger
from simexit.errors import DomainError, NotFound
from simexit.models import Line, StaffUser, Subscriber
from simexit.principals import StaffRole
from simexit.transactions import run_read, run_write
from simexit.verification.methods import ATTESTED_METHODS, Method
from simexit.verification.states import VerificationStatus
from simexit.web.deps import Page, PageDep, StaffDep, StaffPost, StaffPostDep
from simexit.web.forms import FormErrors, WebForm, refuse, trimmed, trimmed_or_none
from simexit.web.i18n import N_
from simexit.web.rendering import is_htmx
from simexit.web.routes.common import now
from simexit.web.routes.console.erasure import erasure_state
from simexit.web.routes.console.permissions import (
    can_attest,
    can_resubmit,
    permitted_actions,
    staff_actor,
)
from simexit.web.security import SecureRoute
from simexit.web.texts import (
    CASE_TYPE,
    CHANNEL,
    METHOD,
    REASONS,
    REJECTION,
    ROLE,
    STATUS,
    VERIFICATION_STATUS,
    label,
)
from simexit.web.views import actor_text, case_findings, is_overdue, preview_view, timeline

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

# The teardown steps (`cases.teardown.STEPS`) and their states, as the case page names them.
TEARDOWN_STEP = {
    "bar_outgoing": N_("Bar the line in the network"),
    "hss_deactivate": N_("Disable the subscriber in the network"),
    "esim_release": N_("Release the eSIM profile"),
    "billing_close": N_("Close the billing account"),
    "settlement": N_("Settle the balance"),
    "line_terminated": N_("Mark the line cancelled"),
    "line_ported": N_("Mark the number ported out"),
    "line_suspended": N_("Mark the line paused"),
    "line_resumed": N_("Lift the pause in the network"),
    "line_reactivated": N_("Enable the subscriber in the network again"),
}
STEP_STATE = {
    "pending": N_("Not done yet"),
    "done": N_("Done"),
    "failed": N_("Failed"),
}

# A case shows its steps once they may have started.
TEARDOWN_SHOWN = frozenset({CaseStatus.executing, CaseStatus.completed, CaseStatus.failed})

QUEUE_STATUSES = (
    "in_review",
    "blocked",
    "submitted",
    "failed",
    "approved",
    "awaiting_verification",
)
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


@router.get("/console", name="console:queue", response_class=HTMLResponse, response_model=None)
async def queue(page: PageDep, staff: StaffDep) -> Response:
    query = page.request.query_params
    status, case_type, due_raw = (
        query.get("status", ""),
        query.get("type", ""),
        query.get("due_before", ""),
    )
    try:
        due_before = date.fromisoformat(due_raw) if due_raw else None
    except ValueError:
        due_before = None
    statuses = [status] if status in STATUS else list(QUEUE_STATUSES)

    def read(db: DbSession) -> tuple[list[Any], dict[uuid.UUID, Line], date]:
        rows = repository.list_cases(
            db,
            staff_actor(staff),
            statuses=statuses,
            case_type=case_type if case_type in CASE_TYPE else None,
            due_before=due_before,
            order="due",
            limit=100,
        )
        today = today_for(repository.operator(db, staff.operator_id), now())
        ids = [c.line_id for c in rows]
        lines = (
            {line.id: line for line in db.scalars(select(Line).where(Line.id.in_(ids)))}
            if rows
            else {}
        )
        return rows, lines, today

    rows, lines, today = await run_read(page.db, read)
    t = page.texts(staff.language)
    return page.render(
        "console/_queue_table.html" if is_htmx(page.request) else "console/queue.html",
        {
            "staff": staff,
            "rows": rows,
            "lines": lines,
            "status": status,
            "type": case_type,
            "due_before": due_raw,
            "statuses": STATUS,
            "types": CASE_TYPE,
            "label": label,
            "role": label(t, ROLE, staff.role),
            "overdue": {c.id for c in rows if is_overdue(c, today)},
        },
        t=t,
    )


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
    today = today_for(operator, now())
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
            "timeline": timeline(t, events, staff_view=True),
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
            "teardown": teardown.progress(case.type, repository.teardown_records(db, case.id))
            if case.status in TEARDOWN_SHOWN
            else [],
            "step_labels": TEARDOWN_STEP,
            "step_states": STEP_STATE,
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
    return post.redirect("console:case", case_id=target)


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
