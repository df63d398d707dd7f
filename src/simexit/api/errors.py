"""RFC 9457 problem responses: one shape for every refusal, with a stable `code`.

`detail` is in the caller's language (Accept-Language, see `messages`), `field` names the
offending input, and 422s from request validation list every field and the rule it broke. No
handler ever lets a traceback out: the catch-all logs it with the request id and answers with a
generic problem.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from simexit.api import messages
from simexit.api.field_messages import field_detail
from simexit.errors import DomainError, InvalidFields

log = structlog.get_logger()

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
PROBLEM_TYPE_BASE: Final = "urn:simexit:problem:"
# `request.state` attribute: a check of an API key that `deps.get_caller` accepted unread.
PENDING_AUTH: Final = "pending_api_key_check"


class FieldError(BaseModel):
    field: str = Field(
        description="Where the problem is: body.line_id, query.msisdn, header.Idempotency-Key."
    )
    code: str = Field(description="The rule that failed, e.g. missing, uuid_parsing, e164, iccid.")
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable machine-readable code; branch on this, not on detail.")
    field: str | None = None
    errors: list[FieldError] | None = None
    instance: str | None = None


class ApiError(DomainError):
    """A refusal made by the API edge itself (authentication, idempotency, rate limits)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **context: object,
    ) -> None:
        super().__init__(message, field=field, **context)
        self.api_code, self.api_status, self.headers = code, status, headers or {}


def language_of(request: Request) -> str:
    return messages.negotiate(request.headers.get("accept-language"))


def problem_body(
    request: Request,
    *,
    code: str,
    status: int,
    fallback: str | None = None,
    field: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    params = {k: v for k, v in (extra or {}).items() if isinstance(v, str | int | float)}
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": messages.message(code, language_of(request), fallback, **params),
        "code": code,
        "instance": request.url.path,
    }
    if field is not None:
        body["field"] = field
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


TMF_PREFIX: Final = "/tmf-api/"


def is_tmf(request: Request) -> bool:
    return request.url.path.startswith(TMF_PREFIX)


def tmf_error(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A problem in TM Forum's `Error` shape (`code`, `reason`, `message`, `status` as a
    string), for the /tmf-api paths; the problem's own members stay as extensions. A refused
    request body is 400 there, as the TM Forum specs list it, not 422."""
    status = int(body["status"])
    if status == 422:
        status = 400
    shaped = {
        **body,
        "code": str(body["code"]),
        "reason": str(body.get("title") or HTTPStatus(status).phrase),
        "message": str(body.get("detail") or ""),
        "status": str(status),
        "@type": "Error",
    }
    if body.get("field"):
        shaped["referenceError"] = PROBLEM_TYPE_BASE + str(body["code"])
    return status, shaped


def problem_response(
    request: Request, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    language = messages.CONTENT_LANGUAGE[language_of(request)]
    status, media_type = int(body["status"]), PROBLEM_MEDIA_TYPE
    if is_tmf(request):
        status, body = tmf_error(body)
        media_type = "application/json"
    return JSONResponse(
        body,
        status_code=status,
        media_type=media_type,
        headers={"Content-Language": language, **(headers or {})},
    )


def domain_problem(request: Request, error: DomainError) -> tuple[dict[str, Any], dict[str, str]]:
    if isinstance(error, ApiError):
        code, status, headers = error.api_code, error.api_status, error.headers
    else:
        code, status, headers = error.code, error.status, {}
    retry_after = error.context.get("retry_after")
    if isinstance(retry_after, int):  # any refusal that says when to come back says it in HTTP too
        headers = {**headers, "Retry-After": str(retry_after)}
    if status < 400 or status > 599:
        status = 400
    # Context goes out as extension members (attempts_left, current, ...), minus internal ids
    # the caller already knows.
    extra = {k: v for k, v in error.context.items() if isinstance(v, str | int | float | bool)}
    errors = _field_errors(request, error) if isinstance(error, InvalidFields) else None
    body = problem_body(
        request,
        code=code,
        status=status,
        fallback=error.message,
        field=error.field,
        errors=errors,
        extra=extra,
    )
    return body, headers


def _field_errors(request: Request, error: InvalidFields) -> list[FieldError]:
    language = language_of(request)
    return [
        FieldError(field=name, code=rule, detail=field_detail(rule, language, detail, params))
        for name, rule, detail, params in error.problems
    ]


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


async def _on_domain_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, DomainError):  # registered for DomainError only
        raise error
    body, headers = domain_problem(request, error)
    return problem_response(request, body, headers)


async def _on_validation_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RequestValidationError):
        raise error
    check = getattr(request.state, PENDING_AUTH, None)
    if check is not None:  # a refused API key answers 401 before any 422, as `get_actor` does
        try:
            await run_in_threadpool(check)
        except ApiError as refused:
            body, headers = domain_problem(request, refused)
            return problem_response(request, body, headers)
    language = language_of(request)
    field_errors = [
        FieldError(
            field=_location(tuple(e.get("loc", ()))),
            code=str(e.get("type", "invalid")),
            detail=field_detail(
                str(e.get("type", "invalid")), language, str(e.get("msg", "")), e.get("ctx")
            ),
        )
        for e in error.errors()
    ]
    body = problem_body(
        request,
        code="validation_failed",
        status=422,
        field=field_errors[0].field if field_errors else None,
        errors=field_errors,
    )
    return problem_response(request, body)


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, StarletteHTTPException):
        raise error
    if error.status_code == 400:  # the body could not be parsed at all: a validation failure too
        detail = field_detail("body_unreadable", language_of(request), str(error.detail))
        unreadable = FieldError(field="body", code="body_unreadable", detail=detail)
        body = problem_body(
            request, code="validation_failed", status=422, field="body", errors=[unreadable]
        )
        return problem_response(request, body)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    body = problem_body(request, code=code, status=error.status_code, fallback=str(error.detail))
    headers = dict(error.headers or {})
    return problem_response(request, body, headers)


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.error(
        "api.unhandled_error",
        error_type=type(error).__name__,
        path=request.url.path,
        exc_info=error,
    )
    return problem_response(request, internal_error_body(request))


def internal_error_body(request: Request) -> dict[str, Any]:
    return problem_body(request, code="internal_error", status=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can answer with."""
    return {
        status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses
    }
