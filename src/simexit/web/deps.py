"""What a page handler gets from FastAPI: the web state, the page's texts, a CSRF-checked form
and who is signed in.

Every POST starts the same way: the texts of the request's language, the posted form with its
CSRF token checked (a refusal page otherwise), and for pages behind a login the signed-in
subscriber or staff member (a redirect to the login page otherwise). `SubscriberPostDep` and
`StaffPostDep` are that preamble; a refusal is raised as `ShowPage` and sent by `SecureRoute`.

The dependencies are `async def`: FastAPI would run a plain `def` in the thread pool, a thread
hop for a cookie read. The one that reads the database (the staff member) goes through the
runner like the handlers do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session as DbSession
from starlette.datastructures import FormData

from simexit.clock import utc_now
from simexit.db import Database
from simexit.models import StaffUser
from simexit.transactions import run_read, run_write
from simexit.web import clocks
from simexit.web import subscriber_auth as auth
from simexit.web.forms import FormErrors, WebForm
from simexit.web.i18n import Texts, explicit_language
from simexit.web.pages import csrf_refused, error_page, not_found
from simexit.web.rendering import Session, WebState
from simexit.web.security import CSRF_FIELD, ShowPage, csrf_valid, forwarded_client

F = TypeVar("F", bound=WebForm)


async def web_state(request: Request) -> WebState:
    """The `WebState` the assembly (`web.app.create_web_router`) bound to this request."""
    return cast(WebState, request.state.web)


WebStateDep = Annotated[WebState, Depends(web_state)]


@dataclass(frozen=True, slots=True)
class Page:
    """One request to a page, in the language of the request."""

    state: WebState
    request: Request
    t: Texts

    @property
    def db(self) -> Database:
        return self.state.runtime.db

    def texts(self, account_language: str | None) -> Texts:
        """The texts once the account's language is known (the request's choice still wins)."""
        return self.state.texts(self.request, account_language)

    def render(
        self,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        t: Texts | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        return self.state.render(
            self.request, template, t or self.t, context, status_code=status_code
        )

    def redirect(self, name: str, **params: Any) -> RedirectResponse:
        return self.state.redirect(self.request, name, **params)

    @property
    def client(self) -> str:
        """The address a throttle counts: the peer, or the client a trusted proxy names."""
        peer = self.request.client.host if self.request.client else "unknown"
        forwarded = self.request.headers.get("x-forwarded-for")
        return forwarded_client(peer, forwarded, self.state.trusted_proxies)

    def too_many(self, message: str, retry_after: int) -> HTMLResponse:
        """A 429 page that says, in words and in `Retry-After`, when to come back."""
        minutes = max(1, -(-retry_after // 60))
        response = self.error(self.t(message, minutes=minutes), status_code=429)
        response.headers["Retry-After"] = str(retry_after)
        return response

    def not_found(self, t: Texts | None = None) -> HTMLResponse:
        return not_found(self.state, self.request, t or self.t)

    def error(self, message: str, *, status_code: int) -> HTMLResponse:
        return error_page(self.state, self.request, self.t, message, status_code=status_code)


async def page(request: Request, state: WebStateDep) -> Page:
    await state.resolve_session(request)
    return Page(state, request, state.texts(request))


PageDep = Annotated[Page, Depends(page)]


@dataclass(frozen=True, slots=True)
class Post(Page):
    """A posted form whose CSRF token was right."""

    form: FormData

    def parse(self, model: type[F]) -> F | FormErrors:
        return model.parse(self.form)

    def values(self, *names: str, limit: int = 2000) -> dict[str, str]:
        """The raw values of `names`, to fill a refused form in again."""
        return {name: _text(self.form, name, limit) for name in names}


def _text(form: Mapping[str, Any], name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def checked_post(request: Request, state: WebStateDep) -> Post:
    t = state.texts(request)
    form = await request.form()
    if not csrf_valid(state.signer, request, form.get(CSRF_FIELD)):
        raise ShowPage(csrf_refused(state, request, t))
    await state.resolve_session(request)
    return Post(state, request, t, form)


PostDep = Annotated[Post, Depends(checked_post)]


# -- subscribers ------------------------------------------------------------------------------


def back_here(request: Request) -> dict[str, str]:
    """The `next` query that brings the browser back to this page once signed in."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {"next": target}


async def subscriber_session(state: WebState, request: Request) -> Session:
    session = await state.resolve_session(request)
    if session is None or session.kind != "subscriber":
        # Back to the page asked for once signed in.
        raise ShowPage(state.redirect(request, "portal:login", query=back_here(request)))
    clocks.act_for_subscribers(state.runtime.db, session.subscriber_ids)
    chosen = explicit_language(request) if request.query_params.get("lang") else None
    if chosen is not None:
        # A choice made with the switcher sticks: it becomes the account's language too.
        ids = session.subscriber_ids
        await run_write(
            state.runtime.db, lambda db: auth.set_language(db, ids, chosen, now=utc_now())
        )
    return session


async def signed_in_subscriber(request: Request, state: WebStateDep) -> Session:
    return await subscriber_session(state, request)


SubscriberDep = Annotated[Session, Depends(signed_in_subscriber)]


@dataclass(frozen=True, slots=True)
class SubscriberPost(Post):
    session: Session


async def subscriber_post(post: PostDep) -> SubscriberPost:
    """Its texts are the pages': the request's choice, else the account's language (a refusal
    in the browser's language on a page in the account's would be two languages at once)."""
    session = await subscriber_session(post.state, post.request)
    ids = session.subscriber_ids
    language = await run_read(post.db, lambda db: auth.account_language(db, ids))
    t = post.state.texts(post.request, language)
    return SubscriberPost(post.state, post.request, t, post.form, session)


SubscriberPostDep = Annotated[SubscriberPost, Depends(subscriber_post)]


# -- staff ------------------------------------------------------------------------------------


def staff_of(db: DbSession, session: Session | None) -> StaffUser | None:
    if session is None or session.kind != "staff" or session.staff_id is None:
        return None
    staff = db.get(StaffUser, session.staff_id)
    # Disabling revokes the sessions too; this holds even for one started a moment before.
    return None if staff is None or staff.disabled_at is not None else staff


async def current_staff_of(state: WebState, request: Request) -> StaffUser:
    session = await state.resolve_session(request)
    staff = None
    if session is not None and session.kind == "staff":
        staff = await run_read(state.runtime.db, lambda db: staff_of(db, session))
    if staff is None:
        raise ShowPage(state.redirect(request, "console:login", query=back_here(request)))
    clocks.act_for_staff(state.runtime.db, staff.operator_id)
    return staff


async def signed_in_staff(request: Request, state: WebStateDep) -> StaffUser:
    return await current_staff_of(state, request)


StaffDep = Annotated[StaffUser, Depends(signed_in_staff)]


@dataclass(frozen=True, slots=True)
class StaffPost(Post):
    staff: StaffUser


async def staff_post(post: PostDep) -> StaffPost:
    staff = await current_staff_of(post.state, post.request)
    return StaffPost(post.state, post.request, post.t, post.form, staff)


StaffPostDep = Annotated[StaffPost, Depends(staff_post)]
