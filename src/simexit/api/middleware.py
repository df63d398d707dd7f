"""Request ids, access logs, metrics and the last line of defence against a 500 traceback.

A pure ASGI middleware: it accepts a sane `X-Request-ID` or makes one, binds it into structlog's
context (so every log line of the request carries it), echoes it on the response, records the
request in the metrics by route template, and turns any exception that escaped the handlers into
a generic problem response.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Final

import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simexit.api.errors import internal_error_body, problem_response
from simexit.api.metrics import ApiMetrics

log = structlog.get_logger()

REQUEST_ID_HEADER: Final = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE_REQUEST_ID.match(text) else None
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        began = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as error:
            log.error(
                "http.unhandled_error",
                error_type=type(error).__name__,
                path=scope.get("path"),
                exc_info=error,
            )
            status = 500
            if not started:
                request = Request(scope)
                response = problem_response(request, internal_error_body(request))
                await response(scope, receive, send_with_request_id)
        finally:
            seconds = time.perf_counter() - began
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(
                method=scope["method"], route=template, status=status, seconds=seconds
            )
            log.info(
                "http.request",
                method=scope["method"],
                route=template,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()
