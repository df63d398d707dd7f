"""Console sign-in with e-mail and password, a lockout after repeated failures, and signing out.

A password check is argon2, tens of milliseconds of CPU and memory by design, so it runs in a
thread (`run_blocking`) and outside any transaction: the account is read first, the password
checked with nothing open, and the outcome (failure count, lockout) written in a short write
transaction that re-reads the account under a row lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from simexit.models import StaffUser
from simexit.transactions import run_blocking, run_read, run_write
from simexit.web.deps import PageDep, PostDep
from simexit.web.forms import FormErrors, WebForm, trimmed
from simexit.web.i18n import N_
from simexit.web.rendering import Session
from simexit.web.routes.common import now
from simexit.web.security import SESSION_COOKIE, SecureRoute

router = APIRouter(route_class=SecureRoute, include_in_schema=False)

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class ConsoleLoginForm(WebForm):
    email: Annotated[str, trimmed(320)] = ""
    password: Annotated[str, trimmed(500)] = ""

    @field_validator("email")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        return value.lower()


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    password_hash: str
    locked_until: datetime | None


def find_account(db: DbSession, email: str) -> Account | None:
    staff = db.scalars(select(StaffUser).where(StaffUser.email == email)).one_or_none()
    return None if staff is None else Account(staff.id, staff.password_hash, staff.locked_until)


def password_matches(passwords: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return passwords.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def record_attempt(
    db: DbSession, account_id: uuid.UUID, *, matched: bool, moment: datetime
) -> uuid.UUID | None:
    """Count the attempt on the account, locked for the update so concurrent attempts all
    count: the staff id if it signs in."""
    staff = db.get(StaffUser, account_id, with_for_update=True)
    if staff is None or (staff.locked_until is not None and staff.locked_until > moment):
        return None  # gone, or locked by another attempt meanwhile
    if matched:
        staff.failed_logins, staff.locked_until = 0, None
        return staff.id
    staff.failed_logins += 1
    if staff.failed_logins >= MAX_FAILED_LOGINS:
        staff.locked_until, staff.failed_logins = moment + LOCKOUT, 0
    return None


@router.get("/console/login", name="console:login", response_class=HTMLResponse)
async def login_form(page: PageDep) -> HTMLResponse:
    return page.render("console/login.html", {"error": None, "email": ""})


@router.post("/console/login", name="console:login_post", response_model=None)
async def login(post: PostDep) -> Response:
    wrong = post.t(
        N_("The e-mail address or password is wrong, or the account is locked for a while.")
    )
    form = post.parse(ConsoleLoginForm)
    if isinstance(form, FormErrors):  # two text fields: nothing in them can be refused
        return post.render("console/login.html", {"error": wrong, "email": ""}, status_code=400)
    moment, passwords = now(), post.state.runtime.passwords
    account = await run_read(post.db, lambda db: find_account(db, form.email))
    staff_id = None
    if account is None:
        await run_blocking(lambda: passwords.hash(form.password))  # the same work either way
    elif account.locked_until is None or account.locked_until <= moment:
        matched = await run_blocking(
            lambda: password_matches(passwords, account.password_hash, form.password)
        )
        staff_id = await run_write(
            post.db, lambda db: record_attempt(db, account.id, matched=matched, moment=moment)
        )
    if staff_id is None:
        return post.render(
            "console/login.html", {"error": wrong, "email": form.email}, status_code=400
        )
    response = post.redirect("console:queue")
    post.state.sign_in(post.request, response, Session("staff", staff_id=staff_id))
    return response


@router.post("/console/logout", name="console:logout", response_model=None)
async def logout(post: PostDep) -> Response:
    response = post.redirect("console:login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
