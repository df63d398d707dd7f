"""Helpers every screen shares: CSRF-checked forms, error pages, the clock."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from simexit.clock import utc_now
from simexit.web.i18n import N_, Texts
from simexit.web.rendering import WebState
from simexit.web.security import CSRF_FIELD, Network, csrf_valid, forwarded_client


async def checked_form(state: WebState, request: Request) -> FormData | None:
    """The posted form, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    if not csrf_valid(state.signer, request, form.get(CSRF_FIELD)):
        return None
    return form


def field(form: FormData, name: str, *, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


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
