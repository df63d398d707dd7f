"""The subscriber portal: code login, own lines, preview and request, code confirmation, status."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session as DbSession

from simexit.audit.service import events_for
from simexit.cases import repository
from simexit.cases import service as cases
from simexit.cases.errors import MethodNotAllowed
from simexit.cases.service.common import today_for
from simexit.cases.states import CaseStatus, Trigger, available_triggers
from simexit.errors import DomainError, NotFound
from simexit.models import Case, Line, Subscriber
from simexit.policies.model import CaseRequest, Channel, RequestType, SettlementChoice
from simexit.policies.serialize import decision_to_dict
from simexit.principals import Actor, ActorType
from simexit.verification.methods import Method
from simexit.web import subscriber_auth as auth
from simexit.web.i18n import N_, Texts
from simexit.web.rendering import Session, WebState
from simexit.web.routes.common import (
    checked_form,
    client_address,
    csrf_refused,
    field,
    not_found,
    now,
)
from simexit.web.security import SESSION_COOKIE, set_cookie
from simexit.web.texts import (
    CASE_TYPE,
    LINE_KIND,
    LINE_STATUS,
    NEXT_STEP,
    PLAN,
    REASONS,
    SETTLEMENT,
    STATUS,
    label,
)
from simexit.web.views import case_findings, preview_view, timeline

LOGIN_COOKIE = "sx_login"
RESUBMITTABLE = frozenset({CaseStatus.rejected, CaseStatus.failed})
# No date to expect: the request is over without closing the line (a completed one keeps its date).
FINISHED = frozenset(
    {CaseStatus.rejected, CaseStatus.withdrawn, CaseStatus.expired, CaseStatus.superseded}
)
LOGIN_SENT = N_(
    "If this number or address is registered with us, we have sent a code to it. It works for 10 minutes."
)
CONSENT = {
    "terminate": N_(
        "I have read what happens to {msisdn} and want to cancel it, ending on {date}."
    ),
    "suspend": N_("I have read what happens to {msisdn} and want to pause it until {date}."),
}


def actor_for(subscriber: Subscriber) -> Actor:
    return Actor(
        ActorType.subscriber,
        str(subscriber.id),
        operator_id=subscriber.operator_id,
        subscriber_id=subscriber.id,
    )


def register(router: APIRouter, state: WebState) -> None:
    def signed_in(request: Request) -> Session | None:
        session = state.session(request)
        return session if session is not None and session.kind == "subscriber" else None

    def owner(db: DbSession, session: Session, subscriber_id: uuid.UUID) -> Actor:
        if subscriber_id not in session.subscriber_ids:
            raise NotFound("no such line")
        subscriber = db.get(Subscriber, subscriber_id)
        if subscriber is None:
            raise NotFound("no such line")
        return actor_for(subscriber)

    def language_of(db: DbSession, session: Session) -> str | None:
        first = db.get(Subscriber, session.subscriber_ids[0]) if session.subscriber_ids else None
        return first.language if first else None

    def to_login(request: Request) -> RedirectResponse:
        return state.redirect(request, "portal:login", query={"next": request.url.path})

    # -- login --------------------------------------------------------------------------------

    @router.get("/login", name="portal:login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        t = state.texts(request)
        return state.render(request, "portal/login.html", t, {"error": None, "value": ""})

    @router.post("/login", name="portal:login_post", response_model=None)
    async def login(request: Request) -> Response:
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        raw = field(form, "identifier", limit=320)
        identifier = auth.parse_identifier(raw)
        if identifier is None:
            error = t(
                N_(
                    "Enter your mobile number with the country code (for example +47 412 34 567), or your e-mail address."
                )
            )
            return state.render(
                request, "portal/login.html", t, {"error": error, "value": raw}, status_code=400
            )
        with state.runtime.db.session() as db:
            result = auth.request_code(
                db,
                key=state.login_key,
                identifier=identifier,
                client=client_address(request, state.trusted_proxies),
                language=t.language,
                now=now(),
            )
        if result.throttled or result.challenge_id is None:
            error = t(N_("Too many codes were asked for. Please wait 15 minutes and try again."))
            return state.render(
                request, "portal/login.html", t, {"error": error, "value": raw}, status_code=429
            )
        response = state.redirect(request, "portal:code")
        pending = {
            "c": str(result.challenge_id),
            "i": identifier.value,
            "ch": identifier.channel,
            "exp": time.time() + 900,
        }
        set_cookie(request, response, LOGIN_COOKIE, state.signer.dumps(pending), max_age=900)
        return response

    def pending_login(request: Request) -> dict[str, Any] | None:
        return state.signer.loads(request.cookies.get(LOGIN_COOKIE), now=time.time())

    @router.get("/login/code", name="portal:code", response_class=HTMLResponse, response_model=None)
    def code_form(request: Request) -> Response:
        t = state.texts(request)
        if pending_login(request) is None:
            return state.redirect(request, "portal:login")
        return state.render(
            request, "portal/login_code.html", t, {"message": t(LOGIN_SENT), "error": None}
        )

    @router.post("/login/code", name="portal:code_post", response_model=None)
    async def code_check(request: Request) -> Response:
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        pending = pending_login(request)
        if pending is None:
            return state.redirect(request, "portal:login")
        identifier = auth.Identifier(str(pending["ch"]), str(pending["i"]))
        with state.runtime.db.session() as db:
            check = auth.check_code(
                db,
                key=state.login_key,
                challenge_id=uuid.UUID(str(pending["c"])),
                identifier=identifier,
                code=field(form, "code", limit=20),
                now=now(),
            )
        if check.outcome is auth.LoginOutcome.passed and check.subscriber_ids:
            response = state.redirect(request, "portal:lines")
            state.sign_in(
                request,
                response,
                Session("subscriber", subscriber_ids=check.subscriber_ids, via=identifier.channel),
            )
            response.delete_cookie(LOGIN_COOKIE, path="/")
            return response
        if check.outcome is auth.LoginOutcome.wrong_code:
            error = t(
                N_("That code is not right. You have {left} tries left."), left=check.attempts_left
            )
        else:
            error = t(N_("This code can no longer be used. Please ask for a new one."))
        return state.render(
            request,
            "portal/login_code.html",
            t,
            {"message": t(LOGIN_SENT), "error": error},
            status_code=400,
        )

    @router.post("/logout", name="portal:logout", response_model=None)
    async def logout(request: Request) -> Response:
        t = state.texts(request)
        if await checked_form(state, request) is None:
            return csrf_refused(state, request, t)
        response = state.redirect(request, "guides:index")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- lines --------------------------------------------------------------------------------

    @router.get("/my", name="portal:lines", response_class=HTMLResponse, response_model=None)
    def lines(request: Request) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        with state.runtime.db.read_session() as db:
            t = state.texts(request, language_of(db, session))
            rows = []
            for subscriber_id in session.subscriber_ids:
                actor = owner(db, session, subscriber_id)
                for line in repository.lines_of_subscriber(db, actor, subscriber_id):
                    open_cases = repository.list_cases(db, actor, line_id=line.id, limit=5)
                    rows.append((line, repository.operator(db, line.operator_id), open_cases))
        iccid_query = request.query_params.get("msisdn", "")
        found = None
        if iccid_query:
            found = [
                line
                for line, _, _ in rows
                if line.msisdn
                == (auth.parse_identifier(iccid_query) or auth.Identifier("", "")).value
            ]
        return state.render(
            request,
            "portal/lines.html",
            t,
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
        )

    def load_line(db: DbSession, session: Session, line_id: uuid.UUID) -> tuple[Actor, Line]:
        for subscriber_id in session.subscriber_ids:
            actor = owner(db, session, subscriber_id)
            try:
                return actor, repository.get_line(db, actor, line_id)
            except NotFound:
                continue
        raise NotFound("no such line")

    def line_page(
        request: Request,
        session: Session,
        line_id: uuid.UUID,
        *,
        error: str | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        with state.runtime.db.read_session() as db:
            t = state.texts(request, language_of(db, session))
            try:
                actor, line = load_line(db, session, line_id)
            except NotFound:
                return not_found(state, request, t)
            operator = repository.operator(db, line.operator_id)
            decision = cases.preview(
                db,
                state.runtime.cases,
                actor=actor,
                line_id=line.id,
                request=CaseRequest(RequestType.terminate, Channel.web),
                now=now(),
            )
            existing = [
                c
                for c in repository.list_cases(db, actor, line_id=line.id, limit=10)
                if c.status not in {"completed", "expired", "rejected", "withdrawn", "superseded"}
            ]
        p = decision_to_dict(decision)
        online = not any(b["code"] == "channel_not_allowed" for b in p["blockers"])
        return state.render(
            request,
            "portal/line.html",
            t,
            {
                "line": line,
                "operator": operator,
                "p": preview_view(t, p),
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
                "can_cancel": line.status in {"active", "suspended"},
            },
            status_code=status_code,
        )

    @router.get(
        "/my/lines/{line_id}", name="portal:line", response_class=HTMLResponse, response_model=None
    )
    def line_detail(request: Request, line_id: uuid.UUID) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        return line_page(request, session, line_id)

    @router.post("/my/lines/{line_id}/request", name="portal:request", response_model=None)
    async def make_request(request: Request, line_id: uuid.UUID) -> Response:
        session = signed_in(request)
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        if session is None:
            return to_login(request)
        kind = RequestType.suspend if field(form, "type") == "suspend" else RequestType.terminate
        values = {
            k: field(form, k)
            for k in ("settlement", "transfer_to", "reason", "comment", "suspend_until")
        }
        if field(form, "consent") != "yes":
            return line_page(
                request,
                session,
                line_id,
                error=t(N_("Please tick the box to confirm that you have read what happens.")),
                values=values,
                status_code=400,
            )
        settlement = (
            SettlementChoice(values["settlement"]) if values["settlement"] in SETTLEMENT else None
        )
        reason = values["reason"] if values["reason"] in REASONS else None
        suspend_until = None
        if kind is RequestType.suspend:
            from datetime import date

            try:
                suspend_until = date.fromisoformat(values["suspend_until"])
            except ValueError:
                return line_page(
                    request,
                    session,
                    line_id,
                    error=t(N_("Choose the date the pause should end.")),
                    values=values,
                    status_code=400,
                )
        transfer_to = None
        if settlement is SettlementChoice.transfer:
            parsed = auth.parse_identifier(values["transfer_to"])
            if parsed is None or parsed.channel != "sms":
                return line_page(
                    request,
                    session,
                    line_id,
                    error=t(
                        N_(
                            "Enter the number that should receive the balance, with the country code."
                        )
                    ),
                    values=values,
                    status_code=400,
                )
            transfer_to = parsed.value
        try:
            with state.runtime.db.session() as db:
                actor, line = load_line(db, session, line_id)
                opened = cases.open_case(
                    db,
                    state.runtime.cases,
                    actor=actor,
                    line_id=line.id,
                    case_type=kind,
                    channel=Channel.web,
                    now=now(),
                    reason_code=reason,
                    comment=values["comment"] or None,
                    settlement=settlement,
                    transfer_to_msisdn=transfer_to,
                    suspend_until=suspend_until,
                    language=t.language,
                )
                case = opened.case
                if case.status == CaseStatus.draft.value:
                    start_code(db, session, actor, case.id)
                case_id = case.id
        except NotFound:
            return not_found(state, request, t)
        except DomainError as error:
            return line_page(
                request, session, line_id, error=error.message, values=values, status_code=400
            )
        if opened.created or case.status == CaseStatus.awaiting_verification.value:
            return state.redirect(request, "portal:confirm", case_id=case_id)
        return state.redirect(request, "portal:case", case_id=case_id)

    def start_code(db: DbSession, session: Session, actor: Actor, case_id: uuid.UUID) -> None:
        """Send the confirmation code the way the subscriber signed in (e-mail if SMS is refused)."""
        method = Method.sms_otp if session.via == "sms" else Method.email_otp
        try:
            cases.start_verification(
                db, state.runtime.cases, actor=actor, case_id=case_id, method=method, now=now()
            )
        except MethodNotAllowed:
            cases.start_verification(
                db,
                state.runtime.cases,
                actor=actor,
                case_id=case_id,
                method=Method.email_otp,
                now=now(),
            )

    # -- confirm with code --------------------------------------------------------------------

    def load_case(db: DbSession, session: Session, case_id: uuid.UUID) -> tuple[Actor, Case]:
        for subscriber_id in session.subscriber_ids:
            actor = owner(db, session, subscriber_id)
            try:
                return actor, repository.get_case(db, actor, case_id)
            except NotFound:
                continue
        raise NotFound("no such case")

    def consent_text(t: Texts, case: Case, line: Line) -> str:
        when = case.suspend_until if case.type == "suspend" else case.effective_date
        return t(
            CONSENT.get(case.type, CONSENT["terminate"]), msisdn=line.msisdn, date=t.date(when)
        )

    def confirm_page(
        request: Request,
        session: Session,
        case_id: uuid.UUID,
        *,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        with state.runtime.db.read_session() as db:
            t = state.texts(request, language_of(db, session))
            try:
                _actor, case = load_case(db, session, case_id)
            except NotFound:
                return not_found(state, request, t)
            if case.status != CaseStatus.awaiting_verification.value:
                return state.redirect(request, "portal:case", case_id=case.id)
            line = db.get(Line, case.line_id)
            verification = repository.latest_verification(db, case.id)
        if line is None:
            return not_found(state, request, t)
        return state.render(
            request,
            "portal/confirm.html",
            t,
            {
                "case": case,
                "line": line,
                "consent": consent_text(t, case, line),
                "destination": verification.destination_masked if verification else "",
                "error": error,
                "types": CASE_TYPE,
                "label": label,
            },
            status_code=status_code,
        )

    @router.get(
        "/my/cases/{case_id}/confirm",
        name="portal:confirm",
        response_class=HTMLResponse,
        response_model=None,
    )
    def confirm_form(request: Request, case_id: uuid.UUID) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        return confirm_page(request, session, case_id)

    @router.post("/my/cases/{case_id}/confirm", name="portal:confirm_post", response_model=None)
    async def confirm(request: Request, case_id: uuid.UUID) -> Response:
        session = signed_in(request)
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        if session is None:
            return to_login(request)
        try:
            with state.runtime.db.session() as db:
                actor, case = load_case(db, session, case_id)
                result = cases.confirm_verification(
                    db,
                    state.runtime.cases,
                    actor=actor,
                    case_id=case.id,
                    code=field(form, "code", limit=20),
                    now=now(),
                )
            if result.outcome is not cases.VerificationOutcome.passed:
                if result.outcome is cases.VerificationOutcome.wrong_code:
                    message = t(
                        N_("That code is not right. You have {left} tries left."),
                        left=result.attempts_left,
                    )
                else:
                    message = t(N_("This code can no longer be used. Please ask for a new one."))
                return confirm_page(request, session, case_id, error=message, status_code=400)
            with state.runtime.db.session() as db:
                actor, case = load_case(db, session, case_id)
                line = repository.get_line(db, actor, case.line_id)
                cases.submit(
                    db,
                    state.runtime.cases,
                    actor=actor,
                    case_id=case.id,
                    now=now(),
                    consent_text=consent_text(t, case, line),
                )
        except NotFound:
            return not_found(state, request, t)
        except DomainError as error:
            return confirm_page(request, session, case_id, error=error.message, status_code=400)
        return state.redirect(request, "portal:case", case_id=case_id)

    @router.post("/my/cases/{case_id}/resend", name="portal:resend", response_model=None)
    async def resend(request: Request, case_id: uuid.UUID) -> Response:
        session = signed_in(request)
        t = state.texts(request)
        if await checked_form(state, request) is None:
            return csrf_refused(state, request, t)
        if session is None:
            return to_login(request)
        try:
            with state.runtime.db.session() as db:
                actor, case = load_case(db, session, case_id)
                method = Method.sms_otp if session.via == "sms" else Method.email_otp
                cases.start_verification(
                    db, state.runtime.cases, actor=actor, case_id=case.id, method=method, now=now()
                )
        except NotFound:
            return not_found(state, request, t)
        except DomainError as error:
            return confirm_page(request, session, case_id, error=error.message, status_code=400)
        return state.redirect(request, "portal:confirm", case_id=case_id)

    # -- status -------------------------------------------------------------------------------

    def case_page(
        request: Request,
        session: Session,
        case_id: uuid.UUID,
        *,
        error: str | None = None,
        status_code: int = 200,
    ) -> Response:
        with state.runtime.db.read_session() as db:
            t = state.texts(request, language_of(db, session))
            try:
                _actor, case = load_case(db, session, case_id)
            except NotFound:
                return not_found(state, request, t)
            line = db.get(Line, case.line_id)
            operator = repository.operator(db, case.operator_id)
            events = events_for(db, subject_type="case", subject_id=case.id)
            today = today_for(operator, now())
            follow_up = next(
                (
                    c
                    for c in repository.list_cases(db, _actor, line_id=case.line_id)
                    if c.parent_case_id == case.id
                ),
                None,
            )
        status = CaseStatus(case.status)
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
        return state.render(
            request,
            "portal/case.html",
            t,
            {
                "case": case,
                "line": line,
                "operator": operator,
                "p": preview_view(t, case.preview or {}),
                "f": case_findings(t, case, today),
                "timeline": timeline(t, events, staff_view=False),
                "can_resubmit": status in RESUBMITTABLE,
                "follow_up": follow_up,
                "next_step": label(t, NEXT_STEP, case.status),
                "status_label": label(t, STATUS, case.status),
                "type_label": label(t, CASE_TYPE, case.type),
                "can_withdraw": can_withdraw,
                "expected": t.date(expected),
                "error": error,
                "awaiting": status is CaseStatus.awaiting_verification,
            },
            status_code=status_code,
        )

    @router.get(
        "/my/cases/{case_id}", name="portal:case", response_class=HTMLResponse, response_model=None
    )
    def case_status(request: Request, case_id: uuid.UUID) -> Response:
        session = signed_in(request)
        if session is None:
            return to_login(request)
        return case_page(request, session, case_id)

    @router.post("/my/cases/{case_id}/withdraw", name="portal:withdraw", response_model=None)
    async def withdraw(request: Request, case_id: uuid.UUID) -> Response:
        session = signed_in(request)
        t = state.texts(request)
        if await checked_form(state, request) is None:
            return csrf_refused(state, request, t)
        if session is None:
            return to_login(request)
        try:
            with state.runtime.db.session() as db:
                actor, case = load_case(db, session, case_id)
                cases.withdraw(db, state.runtime.cases, actor=actor, case_id=case.id, now=now())
        except NotFound:
            return not_found(state, request, t)
        except DomainError:
            return case_page(
                request,
                session,
                case_id,
                error=t(N_("This request can no longer be withdrawn.")),
                status_code=409,
            )
        return state.redirect(request, "portal:case", case_id=case_id)

    @router.post("/my/cases/{case_id}/resubmit", name="portal:resubmit", response_model=None)
    async def resubmit(request: Request, case_id: uuid.UUID) -> Response:
        """A rejected or failed request starts again as a new one, confirmed with a new code."""
        session = signed_in(request)
        t = state.texts(request)
        form = await checked_form(state, request)
        if form is None:
            return csrf_refused(state, request, t)
        if session is None:
            return to_login(request)
        try:
            with state.runtime.db.session() as db:
                actor, case = load_case(db, session, case_id)
                fresh = cases.resubmit(
                    db,
                    state.runtime.cases,
                    actor=actor,
                    case_id=case.id,
                    now=now(),
                    comment=field(form, "comment") or None,
                )
                if fresh.status == CaseStatus.draft.value:
                    start_code(db, session, actor, fresh.id)
                fresh_id, awaiting = (
                    fresh.id,
                    fresh.status
                    in {CaseStatus.draft.value, CaseStatus.awaiting_verification.value},
                )
        except NotFound:
            return not_found(state, request, t)
        except DomainError:
            return case_page(
                request,
                session,
                case_id,
                error=t(N_("A new request cannot be sent for this one now.")),
                status_code=409,
            )
        if awaiting:
            return state.redirect(request, "portal:confirm", case_id=fresh_id)
        return state.redirect(request, "portal:case", case_id=fresh_id)
