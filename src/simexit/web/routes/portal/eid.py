"""Portal step-up with a national eID (BankID, ID-porten, Gosuslugi) over OpenID Connect.

`/my/cases/{id}/eid` is a link, not a form (the page's `form-action 'self'` would stop a form
from leaving for the provider): it opens a fresh check of the method the pack asks for and sends
the subscriber to the operator's identity provider. The provider sends them back to
`/my/eid/callback` with `code` and `state` (the check id). Reaching the provider (authorization
URL, token endpoint, JWKS) happens outside any write transaction; the decision is one."""

from __future__ import annotations

import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository
from simexit.cases import service as cases
from simexit.errors import DomainError, GatewayError, NotFound
from simexit.lines import repository as line_repository
from simexit.transactions import run_blocking, run_read, run_write
from simexit.verification.eid import check_secrets
from simexit.verification.methods import EID_METHODS, Method
from simexit.verification.ports import IdentityNotProven, IdentityProvider, VerifiedIdentity
from simexit.web.deps import PageDep, SubscriberDep
from simexit.web.i18n import N_
from simexit.web.routes.common import now
from simexit.web.routes.portal.cases import confirm_page
from simexit.web.routes.portal.common import consent_text, load_case
from simexit.web.security import SecureRoute

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

EID_UNREACHABLE = N_("The identity service cannot be reached just now. Please try again.")
EID_REFUSED = N_("Your identity was not confirmed: {reason}")


def _needed_eid(db: DbSession, case_id: uuid.UUID, session: object) -> tuple[uuid.UUID, Method]:
    _actor, case = load_case(db, session, case_id)  # type: ignore[arg-type]
    method = next((m for m in cases.allowed_methods(case) if m in EID_METHODS), None)
    if method is None:
        raise NotFound("this request takes no eID")
    return case.id, method


@router.get("/my/cases/{case_id}/eid", name="portal:eid", response_model=None)
async def start(page: PageDep, session: SubscriberDep, case_id: uuid.UUID) -> Response:
    context, runtime = page.state.runtime.cases, page.state.runtime

    def open_check(db: DbSession) -> tuple[str, str]:
        actor, case = load_case(db, session, case_id)
        _, method = _needed_eid(db, case_id, session)
        check = cases.start_eid_check(
            db, context, actor=actor, case_id=case.id, method=method, now=now()
        )
        return str(check.id), repository.operator(db, case.operator_id).code

    try:
        check_id, operator_code = await run_write(page.db, open_check)
        provider = runtime.gateways.for_operator(operator_code).identity
        method = await run_read(page.db, lambda db: _needed_eid(db, case_id, session)[1])
        begun = await run_blocking(
            lambda: provider.begin_check(
                check_id=check_id,
                return_url=str(page.request.url_for("portal:eid_callback")),
                login_hint=None,
                secrets=check_secrets(context.secret_key, check_id),
                acr_values=provider.acr_for(method.value),
            )
        )
    except NotFound:
        return page.not_found()
    except GatewayError:
        return page.error(page.t(EID_UNREACHABLE), status_code=502)
    except DomainError as error:
        return page.error(error.message, status_code=400)
    return RedirectResponse(begun.redirect_url, status_code=303)


@router.get("/my/eid/callback", name="portal:eid_callback", response_model=None)
async def callback(page: PageDep, session: SubscriberDep, request: Request) -> Response:
    answer = {k: v for k, v in request.query_params.items() if k in {"code", "state", "error"}}
    try:
        check_id = uuid.UUID(answer.get("state", ""))
    except ValueError:
        return page.not_found()
    context, runtime = page.state.runtime.cases, page.state.runtime

    def find(db: DbSession) -> tuple[uuid.UUID, str]:
        check = repository.verification(db, check_id)
        if check is None:
            raise NotFound("no such check")
        _actor, case = load_case(db, session, check.case_id)
        return case.id, repository.operator(db, case.operator_id).code

    try:
        case_id, operator_code = await run_read(page.db, find)
    except NotFound:
        return page.not_found()
    provider: IdentityProvider = runtime.gateways.for_operator(operator_code).identity
    identity: VerifiedIdentity | None = None
    refusal: str | None = None
    try:
        identity = await run_blocking(
            lambda: provider.complete_check(
                check_id=str(check_id),
                response=answer,
                secrets=check_secrets(context.secret_key, str(check_id)),
                now=int(time.time()),
            )
        )
    except IdentityNotProven as refused:
        refusal = str(refused)
    except GatewayError:
        return page.error(page.t(EID_UNREACHABLE), status_code=502)

    def decide(db: DbSession) -> cases.EidOutcome:
        actor, case = load_case(db, session, case_id)
        outcome = cases.finish_eid_check(
            db,
            context,
            actor=actor,
            check_id=check_id,
            identity=identity,
            refusal=refusal,
            now=now(),
        )
        if outcome.passed:
            line = line_repository.get_line(db, actor, case.line_id)
            cases.submit(
                db,
                context,
                actor=actor,
                case_id=case.id,
                now=now(),
                consent_text=consent_text(page.t, case, line),
            )
        return outcome

    try:
        outcome = await run_write(page.db, decide)
    except DomainError as error:
        return page.error(error.message, status_code=400)
    if not outcome.passed:
        message = page.t(EID_REFUSED, reason=outcome.reason or "")
        return await run_read(
            page.db,
            lambda db: confirm_page(db, page, session, case_id, error=message, status_code=400),
        )
    return page.redirect("portal:case", case_id=case_id)
