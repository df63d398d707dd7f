"""Refuse a request body before anything parses it: too large (413) or JSON not in UTF-8 (415).

A 10 MB JSON body used to be read whole and parsed before its 422. Here a declared
`Content-Length` over the limit is refused at once, and a body without one (chunked) is counted
as it arrives and refused as soon as it passes the limit, so memory stays bounded either way.
JSON has one encoding on the wire (RFC 8259 §8.1); a `charset` other than UTF-8 is refused rather
than guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simexit.api.errors import problem_body, problem_response

UTF8_NAMES: Final = frozenset({"utf-8", "utf8"})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def declared_charset(content_type: str) -> str | None:
    """The `charset` parameter of a Content-Type, lower-cased; None when there is none."""
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _matches(pattern: str, path: str) -> bool:
    wanted, parts = pattern.split("/"), path.split("/")
    return len(wanted) == len(parts) and all(
        w in {"*", p} for w, p in zip(wanted, parts, strict=True)
    )


class BodyGuardMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, upload_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Paths that take a file rather than JSON, each with its own limit.
        self.upload_limits = dict(upload_limits or {})

    def _upload_limit(self, path: str, default: int) -> int:
        """An exact path, or a pattern with `*` for one path segment (a case id)."""
        if path in self.upload_limits:
            return self.upload_limits[path]
        return next(
            (
                limit
                for key, limit in self.upload_limits.items()
                if "*" in key and _matches(key, path)
            ),
            default,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        charset = declared_charset(content_type)
        if _is_json(content_type) and charset is not None and charset not in UTF8_NAMES:
            await self._refuse(scope, receive, send, "unsupported_charset", 415)
            return
        limit = self.max_body_bytes
        if scope.get("method") == "POST":
            limit = self._upload_limit(scope.get("path", ""), limit)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, "body_too_large", 413, limit)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            # Past the limit the 413 goes out at once and the app is told the client left, so it
            # never acts on a cut-off body (whose first megabyte might be valid JSON on its own).
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await self._refuse(scope, receive, send, "body_too_large", 413, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # the app's answer to a refused body is dropped
                await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        code: str,
        status: int,
        limit: int | None = None,
    ) -> None:
        request = Request(scope)
        extra = {"limit_bytes": limit or self.max_body_bytes} if status == 413 else None
        body = problem_body(request, code=code, status=status, extra=extra)
        # The client may still be sending; the server closes the connection after a refusal.
        await problem_response(request, body, headers={"Connection": "close"})(scope, receive, send)
