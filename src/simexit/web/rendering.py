"""The shared state of the web edge and how a page is rendered."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session as DbSession
from starlette.routing import NoMatchFound

from simexit.clock import utc_now
from simexit.runtime import Runtime
from simexit.signin import sessions as web_sessions
from simexit.signin.sessions import Principal
from simexit.signin.throttle import SignInLimits
from simexit.transactions import run_read, run_write
from simexit.verification.throttle import CodeLimits
from simexit.web.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Texts, resolve_language
from simexit.web.security import (
    CONSOLE_PATH,
    CSRF_FIELD,
    LANG_COOKIE,
    SESSION_COOKIE,
    STAFF_SESSION_COOKIE,
    Signer,
    csrf_seed,
    derive_key,
    session_cookie_of,
    set_cookie,
    trusted_networks,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
SUBSCRIBER_SESSION = timedelta(hours=2)
STAFF_SESSION = timedelta(hours=8)


def session_lifetime(session: Principal) -> timedelta:
    return STAFF_SESSION if session.kind == "staff" else SUBSCRIBER_SESSION


# Who is signed in: the principal of the server-side session the cookie's token names.
Session = Principal


@dataclass
class WebState:
    runtime: Runtime
    code_limits: CodeLimits = field(default_factory=CodeLimits)  # shared with the API
    sign_in_limits: SignInLimits = field(default_factory=SignInLimits)
    signer: Signer = field(init=False)
    env: Environment = field(init=False)
    _dummy_hash: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        secret = self.runtime.settings.secret_key.get_secret_value().encode()
        self.signer = Signer(derive_key(secret, "session"))
        self.login_key = derive_key(secret, "login-code")
        self.code_secret = secret  # one-time codes derive from it, here and in the worker
        self.trusted_proxies = trusted_networks(self.runtime.settings.trusted_proxies)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def dummy_hash(self) -> str:
        """A hash of a random password made by the runtime's hasher, checked in place of a real
        one (unknown address, throttled attempt) so every sign-in costs one verify. Blocking: call
        it through `run_blocking`."""
        if self._dummy_hash is None:
            self._dummy_hash = self.runtime.passwords.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    # -- sessions -----------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        """Who is signed in, as `resolve_session` found it for this request (None before)."""
        found: Session | None = getattr(request.state, "web_session", None)
        return found

    def session_token(self, request: Request) -> str | None:
        """The session token of the request's cookie (the console's or the portal's, by the
        page's path), if the cookie is ours and not expired."""
        name, _path = session_cookie_of(request.url.path)
        payload = self.signer.loads(request.cookies.get(name), now=time.time())
        token = None if payload is None else payload.get("t")
        return token if isinstance(token, str) and token else None

    async def resolve_session(self, request: Request) -> Session | None:
        """Look the cookie's session up (once per request); no cookie, no database."""
        if getattr(request.state, "web_session_resolved", False):
            return self.session(request)
        token, found = self.session_token(request), None
        if token is not None:
            found = await run_read(
                self.runtime.db, lambda db: web_sessions.find(db, token, now=utc_now())
            )
        request.state.web_session, request.state.web_session_resolved = found, True
        return found

    def start_session(self, db: DbSession, session: Session) -> str:
        """Write the session row (in the caller's transaction); the token for `set_session`."""
        return web_sessions.start(db, session, lifetime=session_lifetime(session), now=utc_now())

    def set_session(
        self, request: Request, response: Response, session: Session, token: str
    ) -> None:
        seconds = int(session_lifetime(session).total_seconds())
        payload: dict[str, Any] = {"t": token, "exp": time.time() + seconds}
        name, path = (
            (STAFF_SESSION_COOKIE, CONSOLE_PATH)
            if session.kind == "staff"
            else (SESSION_COOKIE, "/")
        )
        set_cookie(request, response, name, self.signer.dumps(payload), max_age=seconds, path=path)

    async def sign_out(self, request: Request, response: Response) -> None:
        """Revoke the session row, so a copy of the cookie stops working too, and drop the
        cookie."""
        token = self.session_token(request)
        if token is not None:
            await run_write(
                self.runtime.db, lambda db: web_sessions.revoke_principal(db, token, now=utc_now())
            )
        name, path = session_cookie_of(request.url.path)
        response.delete_cookie(name, path=path)

    # -- pages --------------------------------------------------------------------------------

    def texts(self, request: Request, account_language: str | None = None) -> Texts:
        return Texts(resolve_language(request, account_language))

    def render(
        self,
        request: Request,
        template: str,
        t: Texts,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        def url(name: str, **params: Any) -> str:
            return str(request.url_for(name, **{k: str(v) for k, v in params.items()}).path)

        def static(path: str) -> str:
            try:
                return str(request.url_for("static", path=path).path)
            except NoMatchFound:
                return f"/static/{path}"

        switch_links = []
        for code in SUPPORTED_LANGUAGES:
            target = request.url.include_query_params(lang=code)
            switch_links.append((code, LANGUAGE_NAMES[code], f"{target.path}?{target.query}"))
        body = self.env.get_template(template).render(
            request=request,
            _=t,
            t=t,
            url=url,
            static=static,
            csrf_field=CSRF_FIELD,
            csrf_token=self.signer.token(csrf_seed(request)),
            languages=switch_links,
            signed_in=self.session(request),
            **(context or {}),
        )
        response = HTMLResponse(body, status_code=status_code)
        if request.query_params.get("lang"):
            # The switcher's choice sticks for later pages.
            set_cookie(request, response, LANG_COOKIE, t.language, max_age=365 * 24 * 3600)
        return response

    def redirect_to(self, request: Request, target: str) -> RedirectResponse:
        """303 to a same-site path (see `safe_next`); `HX-Redirect` for an htmx POST."""
        if is_htmx(request) and request.method == "POST":
            response = RedirectResponse(target, status_code=200)
            del response.headers["location"]
            response.headers["HX-Redirect"] = target
            return response
        return RedirectResponse(target, status_code=303)

    def redirect(self, request: Request, name: str, **params: Any) -> RedirectResponse:
        """303 after a POST; an htmx request gets `HX-Redirect` instead, so htmx navigates."""
        query = params.pop("query", None)
        target = str(request.url_for(name, **{k: str(v) for k, v in params.items()}).path)
        if query:
            from urllib.parse import urlencode

            target += "?" + urlencode(query)
        return self.redirect_to(request, target)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
