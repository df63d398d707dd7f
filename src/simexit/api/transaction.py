"""One POST = one transaction: idempotency claim, the effect, the stored response, one commit.

Handlers hand `Transaction.run` an effect `(session, now) -> Reply`. The reply is rendered to
JSON inside the transaction so that the idempotency row stores exactly what the caller gets. A
`DomainError` raised by the effect rolls everything back (key included) and becomes a problem
response; a problem the effect *returns* (a wrong verification code) is committed with the
attempt it records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from simexit import transactions
from simexit.access.service import KeyRefused, actor_for_key
from simexit.api import idempotency
from simexit.api.errors import ApiError, problem_body, problem_response
from simexit.operators import clocks as operator_clocks
from simexit.principals import Actor
from simexit.runtime import Runtime

request_fingerprint = idempotency.fingerprint


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="simexit"'}


def unauthenticated() -> ApiError:
    return ApiError(
        "an API key is required", code="unauthenticated", status=401, headers=_CHALLENGE
    )


def actor_of_key(session: Session, token: str) -> Actor:
    """The caller of an API key; 401 if it is malformed, unknown or revoked."""
    try:
        return actor_for_key(session, token)
    except KeyRefused as refused:
        raise ApiError(
            "the API key was refused", code=refused.code, status=401, headers=_CHALLENGE
        ) from None


def resolve_api_key(runtime: Runtime, token: str) -> Actor:
    """`actor_of_key` in a short read transaction of its own."""
    with runtime.db.read_session() as session:
        return actor_of_key(session, token)


@dataclass(frozen=True, slots=True)
class Reply:
    body: BaseModel | dict[str, Any]
    status: int = 200
    location: str | None = None

    def render(self) -> dict[str, Any]:
        return self.body.model_dump(mode="json") if isinstance(self.body, BaseModel) else self.body


class RenderedJSONResponse(JSONResponse):
    """A JSON response whose body pydantic has already serialized to bytes.

    `model_dump_json` (pydantic-core) writes the same bytes as `model_dump(mode="json")` followed
    by `JSONResponse`'s `json.dumps` (compact separators, UTF-8 unescaped; the models hold no
    floats), at well under half the cost, and without the intermediate dict."""

    def render(self, content: Any) -> bytes:
        return cast(bytes, content)


def response(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    if status >= 400:
        return problem_response(request, {**body, "status": status}, headers)
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass
class Transaction:
    runtime: Runtime
    caller: Actor | str  # an Actor, or an API key not yet looked up (see `deps.get_caller`)
    now: datetime
    request: Request
    idempotency_key: str | None
    fingerprint: str
    _replayed: dict[str, Any] | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

    @property
    def actor(self) -> Actor:
        """The caller. `run` looks an API key up in its own transaction, first thing; used
        before that, the key is looked up in a short read transaction. 401 if refused."""
        if self._actor is None:
            if isinstance(self.caller, Actor):
                self._actor = self.caller
            else:
                self._actor = resolve_api_key(self.runtime, self.caller)
        return self._actor

    def _authenticate(self, session: Session) -> None:
        """In the handler's worker thread and transaction: no thread hop or session of its own.
        A refused key raises before anything is written, and the transaction rolls back."""
        if self._actor is None:
            self._actor = (
                self.caller
                if isinstance(self.caller, Actor)
                else actor_of_key(session, self.caller)
            )

    def _operator_now(self, session: Session) -> datetime:
        """The caller's operator's now: its test clock's time for a sandbox operator on one, else
        the request's. Idempotency keys keep the request's (wall clock) time: they are the
        platform's, not the operator's."""
        operator_id = self._actor.operator_id if self._actor is not None else None
        return operator_clocks.now_for(session, operator_id, self.now)

    @property
    def request_id(self) -> str | None:
        value = getattr(self.request.state, "request_id", None)
        return value if isinstance(value, str) else None

    @property
    def principal(self) -> str:
        return self.actor.label[:120]

    def problem(self, *, code: str, status: int, field: str | None = None, **extra: Any) -> Reply:
        """A refusal that is still committed (e.g. the wrong-code attempt it counted)."""
        return Reply(
            problem_body(self.request, code=code, status=status, field=field, extra=extra), status
        )

    async def respond(self, effect: Callable[[Session, datetime], Reply]) -> JSONResponse:
        """Run the request's transaction and answer it, through the runner every async edge
        uses (`simexit.transactions.run_attempts`: on SQLite on the event loop, awaiting this
        process's writer lock there, in the thread pool when another process holds SQLite's
        lock; on PostgreSQL in the thread pool)."""
        return await transactions.run_attempts(
            self.runtime.db, lambda *, wait: self.run(effect, wait=wait)
        )

    def run(
        self, effect: Callable[[Session, datetime], Reply], *, wait: bool = True
    ) -> JSONResponse:
        if self.idempotency_key is None:
            with self.runtime.db.session(wait=wait) as session:
                self._authenticate(session)
                reply = effect(session, self._operator_now(session))
            # Rendered after the commit: nothing stores it, and the write lock is free sooner.
            if isinstance(reply.body, BaseModel) and reply.status < 400:
                # Nothing stores this body either, so it can go straight to JSON bytes.
                return RenderedJSONResponse(
                    reply.body.model_dump_json().encode(),
                    status_code=reply.status,
                    headers=_location(reply.location),
                )
            return self._respond(reply.status, reply.render(), reply.location)
        key = self.idempotency_key
        try:
            with self.runtime.db.session(wait=wait) as session:
                self._authenticate(session)
                row, seen = idempotency.claim(
                    session,
                    principal=self.principal,
                    key=key,
                    request_hash=self.fingerprint,
                    now=self.now,
                )
                if seen:
                    replay = (
                        row.request_hash,
                        row.response_status,
                        row.response_body,
                        row.response_location,
                    )
                else:
                    reply = effect(session, self._operator_now(session))
                    body = reply.render()
                    idempotency.complete(
                        session, row, status=reply.status, body=body, location=reply.location
                    )
        except idempotency.KeyTaken:
            with self.runtime.db.read_session() as session:
                winner = idempotency.find(session, principal=self.principal, key=key, now=self.now)
                if winner is None or winner.response_status == idempotency.IN_PROGRESS:
                    raise ApiError(
                        "a request with this key is in progress",
                        code="idempotency_in_progress",
                        status=409,
                        field="Idempotency-Key",
                        headers={"Retry-After": "1"},
                    ) from None
                replay = (
                    winner.request_hash,
                    winner.response_status,
                    winner.response_body,
                    winner.response_location,
                )
        else:
            if not seen:
                return self._respond(reply.status, body, reply.location)
        request_hash, status, stored_body, location = replay
        if request_hash != self.fingerprint:
            raise ApiError(
                f"you used this Idempotency-Key for a different request in the last "
                f"{idempotency.TTL_HOURS} hours; use a new key for a new request",
                code="idempotency_key_reused",
                status=422,
                field="Idempotency-Key",
                ttl_hours=idempotency.TTL_HOURS,
            )
        if status == idempotency.IN_PROGRESS or not isinstance(stored_body, dict):
            raise ApiError(
                "a request with this key is in progress",
                code="idempotency_in_progress",
                status=409,
                field="Idempotency-Key",
                headers={"Retry-After": "1"},
            )
        headers = {"Idempotent-Replayed": "true", **(_location(location) or {})}
        return response(self.request, status, stored_body, headers)

    def _respond(self, status: int, body: dict[str, Any], location: str | None) -> JSONResponse:
        return response(self.request, status, body, _location(location))


def _location(location: str | None) -> dict[str, str] | None:
    return {"Location": location} if location else None
