"""The error pages every screen can answer with (below the routes: dependencies use them too)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from simexit.web.i18n import N_, Texts
from simexit.web.rendering import WebState


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
