"""The shared state of the web edge and how a page is rendered."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.routing import NoMatchFound

from simexit.runtime import Runtime
from simexit.verification.throttle import CodeLimits
from simexit.web.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, Texts, resolve_language
from simexit.web.security import (
    CSRF_FIELD,
    LANG_COOKIE,
    SESSION_COOKIE,
    Signer,
    csrf_seed,
    derive_key,
    set_cookie,
    trusted_networks,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
SUBSCRIBER_SESSION_SECONDS = 2 * 3600
STAFF_SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    """Who is signed in, read from the signed session cookie."""

    kind: str  # subscriber | staff
    subscriber_ids: tuple[uuid.UUID, ...] = ()
    staff_id: uuid.UUID | None = None
    via: str = "sms"  # how the subscriber proved the number: sms | email


@dataclass
class WebState:
    runtime: Runtime
    code_limits: CodeLimits = field(default_factory=CodeLimits)  # shared with the API
    signer: Signer = field(init=False)
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        secret = self.runtime.settings.secret_key.get_secret_value().encode()
        self.signer = Signer(derive_key(secret, "session"))
        self.login_key = derive_key(secret, "login-code")
        self.trusted_proxies = trusted_networks(self.runtime.settings.trusted_proxies)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # -- sessions -----------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        payload = self.signer.loads(request.cookies.get(SESSION_COOKIE), now=time.time())
        if payload is None:
            return None
        try:
            if payload.get("k") == "staff":
                return Session("staff", staff_id=uuid.UUID(str(payload["s"])))
            if payload.get("k") == "subscriber":
                ids = tuple(uuid.UUID(str(i)) for i in payload["s"])
                return Session("subscriber", subscriber_ids=ids, via=str(payload.get("v", "sms")))
        except (KeyError, ValueError, TypeError):
            return None
        return None

    def sign_in(self, request: Request, response: RedirectResponse, session: Session) -> None:
        if session.kind == "staff":
            payload: dict[str, Any] = {"k": "staff", "s": str(session.staff_id)}
            seconds = STAFF_SESSION_SECONDS
        else:
            payload = {
                "k": "subscriber",
                "s": [str(i) for i in session.subscriber_ids],
                "v": session.via,
            }
            seconds = SUBSCRIBER_SESSION_SECONDS
        payload["exp"] = time.time() + seconds
        set_cookie(request, response, SESSION_COOKIE, self.signer.dumps(payload), max_age=seconds)

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

    def redirect(self, request: Request, name: str, **params: Any) -> RedirectResponse:
        """303 after a POST; an htmx request gets `HX-Redirect` instead, so htmx navigates."""
        query = params.pop("query", None)
        target = str(request.url_for(name, **{k: str(v) for k, v in params.items()}).path)
        if query:
            from urllib.parse import urlencode

            target += "?" + urlencode(query)
        if is_htmx(request) and request.method == "POST":
            response = RedirectResponse(target, status_code=200)
            del response.headers["location"]
            response.headers["HX-Redirect"] = target
            return response
        return RedirectResponse(target, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
