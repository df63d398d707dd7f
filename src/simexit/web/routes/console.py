"""The agent console: staff login, review queue, case detail and decisions, SIM returns, jobs, sink."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from simexit.audit.service import events_for
from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.service.common import today_for
from simexit.cases.service.review import REJECTION_REASONS
from simexit.cases.states import AGENT_TRIGGERS, CaseStatus, Trigger, available_triggers
from simexit.errors import DomainError, NotFound
from simexit.jobs import admin as jobs_admin
from simexit.lines import service as lines_service
from simexit.models import Line, StaffUser, Subscriber
from simexit.notifications.service import list_sink_messages
from simexit.principals import Actor, ActorType, StaffRole
from simexit.verification.methods import ATTESTED_METHODS, Method
from simexit.web.i18n import N_
from simexit.web.rendering import Session, WebState, is_htmx
from simexit.web.routes.common import checked_form, csrf_refused, error_page, field, not_found, now
from simexit.web.security import SESSION_COOKIE
from simexit.web.texts import (
    CASE_TYPE,
    CHANNEL,
    JOB_STATUS,
    MESSAGE_CHANNEL,
    MESSAGE_KIND,
    METHOD,
    REASONS,
    REJECTION,
    ROLE,
    STATUS,
    VERIFICATION_STATUS,
    label,
)
from simexit.web.views import actor_text, case_findings, is_overdue, preview_view, timeline

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
QUEUE_STATUSES = (
    "in_review",
    "blocked",
    "submitted",
    "failed",
    "approved",
    "awaiting_verification",
)

# What each role may do by hand; a button shows only for available_triggers(status) ∩ this.
ROLE_TRIGGERS: dict[StaffRole, frozenset[Trigger]] = {
    StaffRole.agent: frozenset({Trigger.approve, Trigger.reject, Trigger.submit}),
    StaffRole.supervisor: frozenset(
        {Trigger.approve, Trigger.reject, Trigger.retry, Trigger.withdraw, Trigger.submit}
    ),
    StaffRole.admin: AGENT_TRIGGERS,
}
CONSOLE_TRIGGERS = (
    Trigger.submit,
    Trigger.approve,
    Trigger.reject,
    Trigger.retry,
    Trigger.withdraw,
)
# A rejected case may be sent again by anyone who may reject; a failed one by those who may retry.
RESUBMIT_FROM = {CaseStatus.rejected: Trigger.reject, CaseStatus.failed: Trigger.retry}


def permitted_actions(status: CaseStatus, role: StaffRole) -> list[Trigger]:
    allowed = available_triggers(status) & ROLE_TRIGGERS[role]
    return [trigger for trigger in CONSOLE_TRIGGERS if trigger in allowed]


def can_resubmit(status: CaseStatus, role: StaffRole) -> bool:
    needed = RESUBMIT_FROM.get(status)
    return needed is not None and needed in ROLE_TRIGGERS[role]


def can_attest(status: CaseStatus) -> bool:
    return Trigger.start_verification in available_triggers(status)


def staff_actor(staff: StaffUser) -> Actor:
    return Actor(
        ActorType.agent, staff.email, operator_id=staff.operator_id, role=StaffRole(staff.role)
    )


def register(router: APIRouter, state: WebState) -> None:
    def current(db: DbSession, request: Request) -> StaffUser | None:
        session = state.session(request)
        if session is None or session.kind != "staff" or session.staff_id is None:
            return None
        return db.get(StaffUser, session.staff_id)

    def to_login(request: Request) -> RedirectResponse:
        return state.redirect(request, "console:login")

    @router.get("/console/login", name="console:login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        t = state.texts(request)
        return state.render(request, "console/login.html", t, {"error": None, "email": ""})

    @router.post("/console/login", name="console:login_post", response_model=None)
    async def login(request: Request) -> Response:
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        email, password = (
            field(form, "email", limit=320).lower(),
            field(form, "password", limit=500),
        )
        wrong = t(
            N_("The e-mail address or password is wrong, or the account is locked for a while.")
        )
        moment = now()
        with state.runtime.db.session() as db:
            staff = db.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()
            if staff is None:
                state.runtime.passwords.hash(password)  # the same work either way
                ok = False
            elif staff.locked_until is not None and staff.locked_until > moment:
                ok = False
            else:
                try:
                    ok = state.runtime.passwords.verify(staff.password_hash, password)
                except (VerificationError, InvalidHashError):
                    ok = False
                if ok:
                    staff.failed_logins, staff.locked_until = 0, None
                else:
                    staff.failed_logins += 1
                    if staff.failed_logins >= MAX_FAILED_LOGINS:
                        staff.locked_until, staff.failed_logins = moment + LOCKOUT, 0
            staff_id = staff.id if staff is not None and ok else None
        if staff_id is None:
            return state.render(
                request, "console/login.html", t, {"error": wrong, "email": email}, status_code=400
            )
        response = state.redirect(request, "console:queue")
        state.sign_in(request, response, Session("staff", staff_id=staff_id))
        return response

    @router.post("/console/logout", name="console:logout", response_model=None)
    async def logout(request: Request) -> Response:
        t = state.texts(request)
        if await checked_form(state, request) is None:
            return csrf_refused(state, request, t)
        response = state.redirect(request, "console:login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/console", name="console:queue", response_class=HTMLResponse, response_model=None)
    def queue(request: Request) -> Response:
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
            if staff is None:
                return to_login(request)
            t = state.texts(request, staff.language)
            status = request.query_params.get("status", "")
            case_type = request.query_params.get("type", "")
            due_raw = request.query_params.get("due_before", "")
            try:
                due_before = date.fromisoformat(due_raw) if due_raw else None
            except ValueError:
                due_before = None
            statuses = [status] if status in STATUS else list(QUEUE_STATUSES)
            rows = repository.list_cases(
                db,
                staff_actor(staff),
                statuses=statuses,
                case_type=case_type if case_type in CASE_TYPE else None,
                due_before=due_before,
                order="due",
                limit=100,
            )
            operator = repository.operator(db, staff.operator_id)
            today = today_for(operator, now())
            lines = (
                {
                    line.id: line
                    for line in db.scalars(
                        select(Line).where(Line.id.in_([c.line_id for c in rows]))
                    )
                }
                if rows
                else {}
            )
        return state.render(
            request,
            "console/_queue_table.html" if is_htmx(request) else "console/queue.html",
            t,
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
        )

    def detail(
        request: Request,
        staff: StaffUser,
        case_id: uuid.UUID,
        *,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        with state.runtime.db.read_session() as db:
            t = state.texts(request, staff.language)
            try:
                case = repository.get_case(db, staff_actor(staff), case_id)
            except NotFound:
                return not_found(state, request, t)
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
        status, role = CaseStatus(case.status), StaffRole(staff.role)
        has_identity = any(v.status == "passed" for v in verifications)
        actions = [
            a.value
            for a in permitted_actions(status, role)
            if a is not Trigger.submit or has_identity or status is CaseStatus.blocked
        ]
        return state.render(
            request,
            "console/case.html",
            t,
            {
                "staff": staff,
                "case": case,
                "line": line,
                "subscriber": subscriber,
                "verifications": verifications,
                "p": preview_view(t, case.preview or {}),
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
            },
            status_code=status_code,
        )

    @router.get(
        "/console/cases/{case_id}",
        name="console:case",
        response_class=HTMLResponse,
        response_model=None,
    )
    def case_detail(request: Request, case_id: uuid.UUID) -> Response:
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
        if staff is None:
            return to_login(request)
        return detail(request, staff, case_id)

    @router.post("/console/cases/{case_id}/{action}", name="console:act", response_model=None)
    async def act(request: Request, case_id: uuid.UUID, action: str) -> Response:
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
        if staff is None:
            return to_login(request)
        actor, note = staff_actor(staff), field(form, "note") or None
        target = case_id
        try:
            with state.runtime.db.session() as db:
                case = repository.get_case(db, actor, case_id)
                status, role = CaseStatus(case.status), StaffRole(staff.role)
                ctx, moment = state.runtime.cases, now()
                if action == "attest":
                    if not can_attest(status) or field(form, "method") not in {
                        m.value for m in ATTESTED_METHODS
                    }:
                        raise DomainError(t(N_("This identity check cannot be recorded now.")))
                    cases.attest_identity(
                        db,
                        ctx,
                        actor=actor,
                        case_id=case.id,
                        method=Method(field(form, "method")),
                        now=moment,
                        document_type=field(form, "document_type", limit=40) or None,
                        document_last4=field(form, "document_last4", limit=4) or None,
                        note=note,
                    )
                elif action == "resubmit":
                    if not can_resubmit(status, role):
                        return error_page(
                            state,
                            request,
                            t,
                            t(N_("You may not do that with this case now.")),
                            status_code=403,
                        )
                    target = cases.resubmit(
                        db, ctx, actor=actor, case_id=case.id, now=moment, comment=note
                    ).id
                elif action not in {a.value for a in permitted_actions(status, role)}:
                    return error_page(
                        state,
                        request,
                        t,
                        t(N_("You may not do that with this case now.")),
                        status_code=403,
                    )
                elif action == "submit":
                    cases.submit(db, ctx, actor=actor, case_id=case.id, now=moment)
                elif action == "approve":
                    cases.approve(db, ctx, actor=actor, case_id=case.id, now=moment, note=note)
                elif action == "reject":
                    cases.reject(
                        db,
                        ctx,
                        actor=actor,
                        case_id=case.id,
                        reason_code=field(form, "reason", limit=40),
                        now=moment,
                        note=note,
                    )
                elif action == "retry":
                    cases.retry(db, ctx, actor=actor, case_id=case.id, now=moment, note=note)
                elif action == "withdraw":
                    cases.withdraw(db, ctx, actor=actor, case_id=case.id, now=moment, note=note)
        except NotFound:
            return not_found(state, request, t)
        except DomainError as error:
            # htmx swaps only 2xx answers; the page with the error replaces <main> either way.
            code = 200 if is_htmx(request) else 400
            return detail(request, staff, case_id, error=error.message, status_code=code)
        return state.redirect(request, "console:case", case_id=target)

    @router.get(
        "/console/sim-returns",
        name="console:sim_returns",
        response_class=HTMLResponse,
        response_model=None,
    )
    def sim_returns(request: Request) -> Response:
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
            if staff is None:
                return to_login(request)
            t = state.texts(request, staff.language)
            rows = list(
                db.scalars(
                    select(Line)
                    .where(
                        Line.operator_id == staff.operator_id,
                        Line.sim_return_required.is_(True),
                        Line.sim_returned_at.is_(None),
                    )
                    .order_by(Line.terminated_on, Line.msisdn)
                )
            )
        return state.render(
            request,
            "console/sim_returns.html",
            t,
            {"staff": staff, "rows": rows, "done": request.query_params.get("done", "")},
        )

    @router.post("/console/sim-returns/{line_id}", name="console:sim_return", response_model=None)
    async def sim_return(request: Request, line_id: uuid.UUID) -> Response:
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
        if staff is None:
            return to_login(request)
        try:
            with state.runtime.db.session() as db:
                line = lines_service.record_sim_return(
                    db,
                    actor=staff_actor(staff),
                    line_id=line_id,
                    now=now(),
                    note=field(form, "note", limit=500) or None,
                )
                msisdn = line.msisdn
        except NotFound:
            return not_found(state, request, t)
        except DomainError as error:
            return error_page(state, request, t, error.message, status_code=409)
        return state.redirect(request, "console:sim_returns", query={"done": msisdn})

    @router.get(
        "/console/jobs", name="console:jobs", response_class=HTMLResponse, response_model=None
    )
    def jobs(request: Request) -> Response:
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
            if staff is None:
                return to_login(request)
            t = state.texts(request, staff.language)
            failed = repository.list_cases(
                db, staff_actor(staff), statuses=["failed"], order="due", limit=100
            )
            dead = jobs_admin.list_jobs(db, status="dead", limit=100)
            counts = jobs_admin.count_by_status(db)
        may_retry = staff.role in {StaffRole.supervisor.value, StaffRole.admin.value}
        return state.render(
            request,
            "console/jobs.html",
            t,
            {
                "staff": staff,
                "failed": failed,
                "dead": dead,
                "counts": counts,
                "job_status": JOB_STATUS,
                "label": label,
                "may_retry": may_retry,
            },
        )

    @router.post("/console/jobs/{job_id}/retry", name="console:job_retry", response_model=None)
    async def job_retry(request: Request, job_id: uuid.UUID) -> Response:
        t = state.texts(request)
        if await checked_form(state, request) is None:
            return csrf_refused(state, request, t)
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
        if staff is None:
            return to_login(request)
        if staff.role not in {StaffRole.supervisor.value, StaffRole.admin.value}:
            return error_page(
                state, request, t, t(N_("You may not do that with this case now.")), status_code=403
            )
        try:
            with state.runtime.db.session() as db:
                jobs_admin.retry_job(db, job_id=job_id, now=now())
        except DomainError as error:
            return error_page(state, request, t, error.message, status_code=409)
        return state.redirect(request, "console:jobs")

    @router.get(
        "/console/messages",
        name="console:messages",
        response_class=HTMLResponse,
        response_model=None,
    )
    def messages(request: Request) -> Response:
        with state.runtime.db.read_session() as db:
            staff = current(db, request)
            if staff is None:
                return to_login(request)
            t = state.texts(request, staff.language)
            rows = list_sink_messages(db, operator_id=staff.operator_id, limit=100)
        return state.render(
            request,
            "console/messages.html",
            t,
            {
                "staff": staff,
                "rows": rows,
                "channels": MESSAGE_CHANNEL,
                "kinds": MESSAGE_KIND,
                "label": label,
            },
        )
