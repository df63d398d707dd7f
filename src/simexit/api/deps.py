"""Dependencies as `Annotated` aliases: the runtime, sessions, the caller, a write transaction.

`get_actor` first takes an `Actor` that the portal put on `request.state.actor` (a subscriber or
agent signed in with a cookie), so the same endpoints serve both; otherwise it needs an API key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.base import SecurityBase
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from simexit.api.errors import PENDING_AUTH, ApiError
from simexit.api.transaction import (
    Transaction,
    request_fingerprint,
    resolve_api_key,
    unauthenticated,
)
from simexit.principals import Actor
from simexit.runtime import Runtime

IDEMPOTENCY_KEY_DESCRIPTION = (
    "Repeat a POST safely. Keys are per caller (per API key): your same key and body return "
    "the first response for 24 hours; your same key with another request is 422 "
    "idempotency_key_reused; another caller's keys never collide with yours."
)
_BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="simexit", charset="UTF-8"'}


def basic_api_key(encoded: str) -> str:
    """The API key of `Authorization: Basic base64(KEY:)`: the key is the user name and the
    password is empty (as Stripe takes it), so that clients that can only put credentials in a URL
    (`http://KEY:@host/...`, e.g. newman running the TM Forum kits) can call every API."""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        decoded = ""
    user, colon, password = decoded.partition(":")
    if not colon or not user:
        raise ApiError(
            "HTTP Basic credentials must be base64 of 'API_KEY:'",
            code="basic_credentials_malformed",
            status=401,
            field="header.Authorization",
            headers=_BASIC_CHALLENGE,
        )
    if password:
        raise ApiError(
            "send the API key as the Basic user name with an empty password",
            code="basic_password_not_empty",
            status=401,
            field="header.Authorization",
            headers=_BASIC_CHALLENGE,
        )
    return user


class ApiKeyBearer(HTTPBearer):
    """`Authorization: Bearer KEY`, or the same key as HTTP Basic user name (`basic_api_key`)."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        authorization = request.headers.get("authorization")
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "basic":
                return HTTPAuthorizationCredentials(
                    scheme="Basic", credentials=basic_api_key(value)
                )
        return await super().__call__(request)


bearer = ApiKeyBearer(
    auto_error=False,
    scheme_name="HTTPBearer",
    description="An API key: `Authorization: Bearer sx_...`, or HTTP Basic with the key as the "
    "user name and an empty password (`Basic base64(sx_...:)`).",
)


# `async def` for dependencies that do no I/O: FastAPI runs a plain `def` dependency in its thread
# pool, and each such hop (a thread hand-off and two GIL switches) costs more than the work.
async def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


async def get_clock(request: Request) -> Callable[[], datetime]:
    return cast(Callable[[], datetime], request.app.state.clock)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]


def get_read_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.db.read_session() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def get_actor(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    injected = getattr(request.state, "actor", None)
    if isinstance(injected, Actor):
        return injected
    if credentials is None:
        raise unauthenticated()
    return resolve_api_key(runtime, credentials.credentials)


ActorDep = Annotated[Actor, Depends(get_actor)]


class CallerScheme(SecurityBase):
    """The portal's actor, or the API key still to be checked (no I/O: no thread hop).

    Write endpoints look the key up inside their own transaction (`Transaction.run`): one
    thread hand-off and one session per request instead of two. A missing key is refused here,
    before anything else; so that a refused key still wins over a 422 exactly as `get_actor`
    does, the validation-error handler checks a key left pending here (`errors.PENDING_AUTH`).

    It is `bearer` and the step after it in one dependency, not a dependency on `bearer`: FastAPI
    solves each level of the dependency tree with fixed per-request overhead, and every write
    pays it. Being a security scheme with `bearer`'s name and model, it documents the same
    `HTTPBearer` requirement in OpenAPI."""

    def __init__(self, scheme: HTTPBearer) -> None:
        self.scheme = scheme
        self.model = scheme.model
        self.scheme_name = scheme.scheme_name

    async def __call__(self, request: Request) -> Actor | str:
        # `request.state` raises (and `getattr` catches) AttributeError when the portal put no
        # actor there, the usual case for an API call; the dict lookup costs no exception.
        injected = request.scope.get("state", {}).get("actor")
        if isinstance(injected, Actor):
            return injected
        credentials = await self.scheme(request)
        if credentials is None:
            raise unauthenticated()
        token = credentials.credentials
        runtime = cast(Runtime, request.app.state.runtime)

        def check() -> None:
            resolve_api_key(runtime, token)

        setattr(request.state, PENDING_AUTH, check)
        return token


get_caller = CallerScheme(bearer)


async def _fingerprinted_body(request: Request) -> bytes:
    """The body as sent; for a multipart form FastAPI has parsed (the stream is gone then), its
    fields and each file's content, in order."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    parts: list[bytes] = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            parts.append(f"{name}={value}".encode())
        else:
            content = await value.read()
            await value.seek(0)
            parts.append(name.encode() + b"=" + hashlib.sha256(content).hexdigest().encode())
    return b"\n".join(parts)


async def get_transaction(
    request: Request,
    caller: Annotated[Actor | str, Depends(get_caller)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description=IDEMPOTENCY_KEY_DESCRIPTION,
        ),
    ] = None,
) -> Transaction:
    state = request.app.state
    # The fingerprint only matters to a keyed request; FastAPI has read (and cached) the body.
    fingerprint = (
        request_fingerprint(request.method, request.url.path, await _fingerprinted_body(request))
        if idempotency_key is not None
        else ""
    )
    return Transaction(
        runtime=cast(Runtime, state.runtime),
        caller=caller,
        now=cast(Callable[[], datetime], state.clock)(),
        request=request,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
    )


TransactionDep = Annotated[Transaction, Depends(get_transaction)]
