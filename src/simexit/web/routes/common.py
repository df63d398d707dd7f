"""Helpers every screen shares: error pages, the clock, the client's address."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse

from simexit.clock import utc_now
from simexit.web.i18n import N_, Texts
from simexit.web.rendering import WebState
from simexit.web.security import Network, forwarded_client


def error_page(
    state: WebState, request: Request, t: Texts, message: str, *, status_code: int
) -> HTMLResponse:
    return state.render(
        request, "errors/error.html", t, {"message": message}, status_code=status_code
    )


def csrf_refused(state: WebState, request: Request, t: Texts) -> HTMLResponse:
    return error_page(
        state,
        request,
        t,
        t(
            N_(
                "This form has expired or was sent from another site. Please go back, reload the page and try again."
            )
        ),
        status_code=403,
    )


def not_found(state: WebState, request: Request, t: Texts) -> HTMLResponse:
    return error_page(state, request, t, t(N_("We could not find that page.")), status_code=404)


def now() -> datetime:
    return utc_now()


def client_address(request: Request, trusted: tuple[Network, ...] = ()) -> str:
    peer = request.client.host if request.client else "unknown"
    return forwarded_client(peer, request.headers.get("x-forwarded-for"), trusted)
