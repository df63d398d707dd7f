"""Portal sign-in: a one-time code to a registered number or address, and signing out."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import field_validator
from sqlalchemy.orm import Session as DbSession

from simexit.transactions import run_read, run_write
from simexit.web import subscriber_auth as auth
from simexit.web.deps import Page, PageDep, PostDep
from simexit.web.forms import FormErrors, WebForm, refuse, trimmed
from simexit.web.i18n import N_, browser_language, explicit_language
from simexit.web.rendering import Session
from simexit.web.routes.common import client_address, now
from simexit.web.routes.portal.common import CODE_USED_UP, WRONG_CODE, shown_code
from simexit.web.security import LANG_COOKIE, SecureRoute, safe_next, set_cookie

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

LOGIN_COOKIE = "sx_login"
LOGIN_SECONDS = 900
LOGIN_SENT = N_(
    "If this number or address is registered with us, we have sent a code to it. It works for 10 minutes."
)


class LoginForm(WebForm):
    identifier: Annotated[str, trimmed(320)] = ""
    next: Annotated[str, trimmed(2000)] = ""

    @field_validator("identifier")
    @classmethod
    def _a_number_or_address(cls, value: str) -> str:
        if auth.parse_identifier(value) is None:
            raise refuse(
                N_(
                    "Enter your mobile number with the country code (for example +47 412 34 567), or your e-mail address."
                )
            )
        return value

    @property
    def parsed(self) -> auth.Identifier:
        found = auth.parse_identifier(self.identifier)
        if found is None:  # the validator refused anything else
            raise ValueError("the identifier was not checked")
        return found


class CodeForm(WebForm):
    code: Annotated[str, trimmed(20)] = ""


@router.get("/login", name="portal:login", response_class=HTMLResponse)
async def login_form(page: PageDep) -> HTMLResponse:
    target = safe_next(page.request.query_params.get("next")) or ""
    return page.render("portal/login.html", {"error": None, "value": "", "next": target})


@router.post("/login", name="portal:login_post", response_model=None)
async def login(post: PostDep) -> Response:
    t, form = post.t, post.parse(LoginForm)
    if isinstance(form, FormErrors):
        raw = post.values("identifier", limit=320)["identifier"]
        target = safe_next(post.values("next")["next"]) or ""
        context = {"error": form.text(t), "value": raw, "next": target}
        return post.render("portal/login.html", context, status_code=400)
    identifier = form.parsed
    state, client = post.state, client_address(post.request, post.state.trusted_proxies)
    result = await run_write(
        post.db,
        lambda db: auth.request_code(
            db,
            key=state.login_key,
            code_secret=state.code_secret,
            identifier=identifier,
            client=client,
            language=t.language,
            now=now(),
        ),
    )
    if result.throttled or result.challenge_id is None:
        error = t(N_("Too many codes were asked for. Please wait 15 minutes and try again."))
        context = {"error": error, "value": form.identifier, "next": safe_next(form.next) or ""}
        return post.render("portal/login.html", context, status_code=429)
    response = post.redirect("portal:code")
    pending: dict[str, Any] = {
        "c": str(result.challenge_id),
        "i": identifier.value,
        "ch": identifier.channel,
        "exp": time.time() + LOGIN_SECONDS,
    }
    after = safe_next(form.next)
    if after:
        pending["n"] = after  # where to go once the code is right
    set_cookie(
        post.request, response, LOGIN_COOKIE, state.signer.dumps(pending), max_age=LOGIN_SECONDS
    )
    return response


def pending_login(page: Page) -> dict[str, Any] | None:
    return page.state.signer.loads(page.request.cookies.get(LOGIN_COOKIE), now=time.time())


@router.get("/login/code", name="portal:code", response_class=HTMLResponse, response_model=None)
async def code_form(page: PageDep) -> Response:
    pending = pending_login(page)
    if pending is None:
        return page.redirect("portal:login")
    challenge_id = uuid.UUID(str(pending["c"]))
    code = await run_read(
        page.db, lambda db: shown_code(db, page.state.code_secret, page.t, challenge_id)
    )
    context = {"message": page.t(LOGIN_SENT), "error": None, "shown_code": code}
    return page.render("portal/login_code.html", context)


@router.post("/login/code", name="portal:code_post", response_model=None)
async def code_check(post: PostDep) -> Response:
    t = post.t
    pending = pending_login(post)
    if pending is None:
        return post.redirect("portal:login")
    form = post.parse(CodeForm)
    code = form.code if isinstance(form, CodeForm) else ""  # nothing in it can be refused
    identifier = auth.Identifier(str(pending["ch"]), str(pending["i"]))
    key, challenge_id = post.state.login_key, uuid.UUID(str(pending["c"]))
    state = post.state

    # The language the sign-in pages were read in, if the person chose it or the browser named
    # it: the portal stays in it after sign-in, and the accounts' messages follow it.
    reading = explicit_language(post.request) or browser_language(post.request)

    def checked(db: DbSession) -> tuple[auth.CodeCheck, Session | None, str]:
        """Check the code and, when it is right, start the session in the same transaction."""
        check = auth.check_code(
            db, key=key, challenge_id=challenge_id, identifier=identifier, code=code, now=now()
        )
        if check.outcome is not auth.LoginOutcome.passed or not check.subscriber_ids:
            return check, None, ""
        if reading is not None:
            auth.set_language(db, check.subscriber_ids, reading, now=now())
        session = Session("subscriber", subscriber_ids=check.subscriber_ids, via=identifier.channel)
        return check, session, state.start_session(db, session)

    check, session, token = await run_write(post.db, checked)
    if session is not None:
        target = safe_next(pending.get("n"))
        response = (
            state.redirect_to(post.request, target) if target else post.redirect("portal:lines")
        )
        state.set_session(post.request, response, session, token)
        if reading is not None:
            set_cookie(post.request, response, LANG_COOKIE, reading, max_age=365 * 24 * 3600)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response
    if check.outcome is auth.LoginOutcome.wrong_code:
        error = t(WRONG_CODE, left=check.attempts_left)
    else:
        error = t(CODE_USED_UP)
    return post.render(
        "portal/login_code.html",
        {"message": t(LOGIN_SENT), "error": error, "shown_code": None},
        status_code=400,
    )


@router.post("/logout", name="portal:logout", response_model=None)
async def logout(post: PostDep) -> Response:
    response = post.redirect("guides:index")
    await post.state.sign_out(post.request, response)
    return response
