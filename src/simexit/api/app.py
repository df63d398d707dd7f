"""The API application: `create_app(runtime)` wires routers, errors, middleware and metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from simexit.api import docs, errors, health, hooks, tmf, v1
from simexit.api.body_guard import BodyGuardMiddleware
from simexit.api.headers import SecurityHeadersMiddleware
from simexit.api.metrics import ApiMetrics
from simexit.api.middleware import RequestContextMiddleware
from simexit.api.openapi import build_openapi
from simexit.api.ratelimit import RateLimits
from simexit.clock import utc_now
from simexit.config import Settings
from simexit.runtime import Runtime, runtime_from_env

DESCRIPTION = """\
Open and track requests to end (or suspend, resume, port out, reactivate) mobile subscriptions.

* Authenticate with `Authorization: Bearer sx_...` (a key per operator or per reseller).
* Every POST accepts `Idempotency-Key`, scoped to the caller: the same key and body return
  the first response for 24 hours, the same key with another request is 422.
* Errors are RFC 9457 `application/problem+json` with a stable `code`, a `detail` in the
  language of `Accept-Language` (en, nb, ru, zh-Hans) and the offending `field`.
* Money is `{"amount": "12.50", "currency": "NOK"}`; times are RFC 3339 in UTC.
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


# Room for a multipart form's boundaries and its text field around the file itself.
FORM_OVERHEAD_BYTES = 64 * 1024


def upload_limits(settings: Settings) -> dict[str, int]:
    """The paths that take a file, each with its own body limit."""
    answer = settings.attachment_max_bytes + FORM_OVERHEAD_BYTES
    return {
        "/v1/imports": settings.import_max_bytes,
        "/v1/cases/*/information": answer,
        "/my/cases/*/information": answer,
    }


def create_app(
    runtime: Runtime | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    rate_limits: RateLimits | None = None,
) -> FastAPI:
    runtime = runtime or runtime_from_env()
    app = FastAPI(
        title="simexit API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # `api.docs` serves it, with no CDN
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.state.runtime = runtime
    app.state.clock = clock
    app.state.rate_limits = rate_limits or RateLimits()
    metrics = ApiMetrics(runtime)
    app.state.metrics = metrics
    errors.install(app)
    docs.install(app, openapi_url="/openapi.json")
    app.include_router(health.router)
    for module_router in v1.routers:  # straight onto the app: see `v1`
        app.include_router(module_router)
    app.include_router(hooks.router)
    for tmf_router in tmf.routers:
        app.include_router(tmf_router)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        BodyGuardMiddleware,
        max_body_bytes=runtime.settings.max_body_bytes,
        upload_limits=upload_limits(runtime.settings),
    )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    def openapi() -> dict[str, Any]:
        return build_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
    return app
