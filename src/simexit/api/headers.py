"""Security headers on every API response, and a framing-proof page for the API's own docs.

JSON answers get `nosniff` and, over https, HSTS. `/docs` is an HTML page that loads Swagger
UI from this server (`api.docs`) and starts it inline, so it gets its own policy: nothing may
frame it, and it may load only what it needs, from here.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS: Final = "max-age=31536000; includeSubDomains"
DOC_PATHS: Final = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
DOCS_POLICY: Final = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        docs = scope.get("path") in DOC_PATHS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if docs:
                    headers["Content-Security-Policy"] = DOCS_POLICY
                    headers["X-Frame-Options"] = "DENY"
                    headers["Referrer-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, with_headers)
