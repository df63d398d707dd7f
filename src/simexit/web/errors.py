"""Error pages for browsers: a page address that is wrong or unknown answers with an HTML page
in the page's language, not with the API's problem+json.

`install_error_pages` wraps the app's handlers for `HTTPException` and `RequestValidationError`:
a request for a page (its first path segment is one of the web screens', or a browser asking
for HTML anywhere but the API) gets the page; every other request goes to the handler that was
there before (the API's problem+json).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount

from simexit.runtime import Runtime
from simexit.web.i18n import N_
from simexit.web.pages import error_page
from simexit.web.rendering import WebState
from simexit.web.security import SECURITY_HEADERS

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

NOT_FOUND = N_("We could not find that page.")
WRONG_ADDRESS = N_("Something in that address is not right. Please go back and try again.")
NOT_HERE = N_("That does not work on this page. Please go back and try again.")
GENERIC = N_("Something went wrong. Please go back and try again.")
# Where the API lives: never a page, whatever the client asks for.
API_SEGMENTS = frozenset({"v1", "hooks", "healthz", "readyz", "metrics", "openapi.json", "docs"})


def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


def page_segments(app: FastAPI) -> frozenset[str]:
    """The first path segments of the app's web screens (their routes are outside the schema)."""
    found = set()
    for route in app.routes:
        if (isinstance(route, APIRoute) and not route.include_in_schema) or (
            isinstance(route, Mount) and route.name == "static"
        ):
            found.add(_first_segment(route.path))
    return frozenset(found - API_SEGMENTS)


def install_error_pages(app: FastAPI, runtime: Runtime) -> None:
    state = WebState(runtime)
    before_http = app.exception_handlers.get(StarletteHTTPException)
    before_validation = app.exception_handlers.get(RequestValidationError)
    segments: frozenset[str] | None = None

    def is_page(request: Request) -> bool:
        nonlocal segments
        if segments is None:  # the routes are all in once a request arrives
            segments = page_segments(app)
        first = _first_segment(request.url.path)
        if first in API_SEGMENTS:
            return False
        accept = request.headers.get("accept", "")
        return first in segments or ("text/html" in accept and "json" not in accept)

    def page(request: Request, message: str, status_code: int) -> Response:
        t = state.texts(request)
        response = error_page(state, request, t, t(message), status_code=status_code)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def fallback(handler: Handler | None, request: Request, error: Exception) -> Response:
        if handler is None:
            status = error.status_code if isinstance(error, StarletteHTTPException) else 422
            return PlainTextResponse(str(getattr(error, "detail", "")), status_code=status)
        answer = handler(request, error)
        return await answer if isinstance(answer, Awaitable) else answer

    async def on_http(request: Request, error: Exception) -> Response:
        if not isinstance(error, StarletteHTTPException) or not is_page(request):
            return await fallback(before_http, request, error)
        message = {404: NOT_FOUND, 405: NOT_HERE, 400: WRONG_ADDRESS}.get(
            error.status_code, GENERIC
        )
        return page(request, message, error.status_code)

    async def on_validation(request: Request, error: Exception) -> Response:
        if not isinstance(error, RequestValidationError) or not is_page(request):
            return await fallback(before_validation, request, error)
        in_path = any(tuple(e.get("loc", ()))[:1] == ("path",) for e in error.errors())
        return page(request, NOT_FOUND if in_path else WRONG_ADDRESS, 404 if in_path else 400)

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
