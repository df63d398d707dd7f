"""Console sign-in with e-mail and password, throttled by growing delays, and signing out.

What every attempt does, in this order, whatever the address and the outcome:

1. read the account by e-mail address (one indexed read, found or not);
2. count the attempt against the client address and the e-mail address (`signin.throttle.claim`,
   one write transaction; its subjects are keyed hashes of what was typed, so an unknown address
   is counted exactly like a known one);
3. run one argon2 verify in a thread (`run_blocking`), with nothing open: against the account's
   hash when the attempt may be checked, otherwise against `WebState.dummy_hash` (made by the
   same hasher, so it costs the same). An unknown address, a throttled attempt and a wrong
   password therefore all do the same work; a throttled attempt never checks the real password.
   The result is a 429 (throttled, with `Retry-After`), a 400 (unknown or wrong), or, for the
   right password only, one more write: the failure taken back and the session started.

Burning one argon2 verify on a throttled attempt is deliberate: answering it faster would tell a
prober which attempts were looked at. The throttle limits guesses, not CPU; floods of requests
are the reverse proxy's to limit.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from simexit.models import StaffUser
from simexit.signin import events, throttle
from simexit.transactions import run_blocking, run_read, run_write
from simexit.web.deps import PageDep, PostDep
from simexit.web.forms import FormErrors, WebForm, trimmed
from simexit.web.i18n import N_
from simexit.web.rendering import Session
from simexit.web.routes.common import client_address, now
from simexit.web.security import SecureRoute, safe_next

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

WRONG = N_("The e-mail address or password is wrong.")
TOO_MANY = N_("Too many failed sign-ins. Please wait {minutes} minutes and try again.")


class ConsoleLoginForm(WebForm):
    email: Annotated[str, trimmed(320)] = ""
    password: Annotated[str, trimmed(500)] = ""
    next: Annotated[str, trimmed(2000)] = ""

    @field_validator("email")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        return value.lower()


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    password_hash: str


def find_account(db: DbSession, email: str) -> Account | None:
    """The account that may sign in; a disabled one is answered exactly as an unknown address."""
    staff = db.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()
    if staff is None or staff.disabled_at is not None:
        return None
    return Account(staff.id, staff.password_hash)


def password_matches(passwords: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return passwords.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def subject_key(key: bytes, kind: str, value: str) -> str:
    """The throttle's name for an e-mail or client address: keyed, so the table holds neither."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"staff.{kind}:{digest}"


def claim_attempt(
    db: DbSession, limits: throttle.SignInLimits, account_key: str, client_key: str
) -> int | None:
    """Count the attempt; seconds to wait instead when throttled (nothing counted then)."""
    try:
        with db.begin_nested():
            throttle.claim(db, limits, account_key=account_key, client_key=client_key, now=now())
    except throttle.Throttled as throttled:
        return throttled.retry_after
    return None


def record_failure(db: DbSession, account: Account | None, reason: str) -> None:
    """`signin.failed` in the account's operator's trail; an unknown address has no operator
    (and no row): the transaction is still opened and committed, at the same cost."""
    if account is not None:
        events.sign_in_failed(db, account.id, reason=reason, now=now())


@router.get("/console/login", name="console:login", response_class=HTMLResponse)
async def login_form(page: PageDep) -> HTMLResponse:
    target = safe_next(page.request.query_params.get("next")) or ""
    return page.render("console/login.html", {"error": None, "email": "", "next": target})


@router.post("/console/login", name="console:login_post", response_model=None)
async def login(post: PostDep) -> Response:
    form = post.parse(ConsoleLoginForm)
    if isinstance(form, FormErrors):  # text fields: nothing in them can be refused
        context = {"error": post.t(WRONG), "email": "", "next": ""}
        return post.render("console/login.html", context, status_code=400)
    state, passwords = post.state, post.state.runtime.passwords
    target = safe_next(form.next)
    account_key = subject_key(state.login_key, "account", form.email)
    client_key = subject_key(
        state.login_key, "client", client_address(post.request, state.trusted_proxies)
    )
    account = await run_read(post.db, lambda db: find_account(db, form.email))
    limits = state.sign_in_limits
    retry_after = await run_write(
        post.db, lambda db: claim_attempt(db, limits, account_key, client_key)
    )
    checked_hash = (
        account.password_hash
        if account is not None and retry_after is None
        else await run_blocking(state.dummy_hash)
    )
    matched = await run_blocking(lambda: password_matches(passwords, checked_hash, form.password))
    if retry_after is not None or account is None or not matched:
        reason = "throttled" if retry_after is not None else "wrong_password"
        # One write on every failure, found or not, so a known address answers no slower.
        await run_write(post.db, lambda db: record_failure(db, account, reason))
    if retry_after is not None:
        return post.too_many(TOO_MANY, retry_after)
    if account is None or not matched:
        context = {"error": post.t(WRONG), "email": form.email, "next": target or ""}
        return post.render("console/login.html", context, status_code=400)
    session = Session("staff", staff_id=account.id)
    staff_id = account.id

    def signed_in(db: DbSession) -> str:
        throttle.forget(db, account_key=account_key, client_key=client_key)
        events.signed_in(db, staff_id, now=now())
        return state.start_session(db, session)

    token = await run_write(post.db, signed_in)
    response = (
        post.state.redirect_to(post.request, target) if target else post.redirect("console:queue")
    )
    state.set_session(post.request, response, session, token)
    return response


@router.post("/console/logout", name="console:logout", response_model=None)
async def logout(post: PostDep) -> Response:
    response = post.redirect("console:login")
    await post.state.sign_out(post.request, response)
    return response
