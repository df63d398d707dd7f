"""Dependencies as `Annotated` aliases: the runtime, sessions, the caller, a write transaction.

`get_actor` first takes an `Actor` that the portal put on `request.state.actor` (a subscriber or
agent signed in with a cookie), so the same endpoints serve both; otherwise it needs an API key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from simexit.api.errors import ApiError
from simexit.api.keys import KeyRefused, actor_for_key
from simexit.api.transaction import Transaction, request_fingerprint
from simexit.principals import Actor
from simexit.runtime import Runtime

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sx_...`.")


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
    challenge = {"WWW-Authenticate": 'Bearer realm="simexit"'}
    if credentials is None:
        raise ApiError(
            "an API key is required", code="unauthenticated", status=401, headers=challenge
        )
    try:
        with runtime.db.read_session() as session:
            return actor_for_key(session, credentials.credentials)
    except KeyRefused as refused:
        raise ApiError(
            "the API key was refused", code=refused.code, status=401, headers=challenge
        ) from None


ActorDep = Annotated[Actor, Depends(get_actor)]


async def get_transaction(
    request: Request,
    runtime: RuntimeDep,
    clock: ClockDep,
    actor: ActorDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Repeat a POST safely: the same key and body return the first response for 24 hours.",
        ),
    ] = None,
) -> Transaction:
    body = await request.body()
    return Transaction(
        runtime=runtime,
        actor=actor,
        now=clock(),
        request=request,
        idempotency_key=idempotency_key,
        fingerprint=request_fingerprint(request.method, request.url.path, body),
    )


TransactionDep = Annotated[Transaction, Depends(get_transaction)]
