"""The API's door to the code limiter (`simexit.verification.throttle`), shared with the portal.

Each check is its own short transaction, committed before the request runs, so a request that
fails still counts; a refusal is a 429 problem with `Retry-After`.
"""

from __future__ import annotations

import uuid

from fastapi import Depends, Request

from simexit.api.deps import ActorDep, ClockDep, RuntimeDep
from simexit.cases import repository
from simexit.verification.throttle import (
    CodeLimits,
    Limit,
    count_code_answer,
    count_code_send,
    refuse_if_over,
)

# The API's name for the limits; the portal reads the same `CodeLimits`.
RateLimits = CodeLimits


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_verification_start(
    case_id: uuid.UUID, request: Request, runtime: RuntimeDep, actor: ActorDep, clock: ClockDep
) -> None:
    limits: CodeLimits = request.app.state.rate_limits
    with runtime.db.session() as session:
        case = repository.get_case(session, actor, case_id)  # 404 before counting anything
        retry_after = count_code_send(
            session, limits, line_id=case.line_id, client=_client(request), now=clock()
        )
    refuse_if_over(retry_after)


def limit_verification_confirm(
    case_id: uuid.UUID, request: Request, runtime: RuntimeDep, actor: ActorDep, clock: ClockDep
) -> None:
    limits: CodeLimits = request.app.state.rate_limits
    with runtime.db.session() as session:
        repository.get_case(session, actor, case_id)
        retry_after = count_code_answer(
            session, limits, case_id=case_id, client=_client(request), now=clock()
        )
    refuse_if_over(retry_after)


VerificationStartLimit = Depends(limit_verification_start)
VerificationConfirmLimit = Depends(limit_verification_confirm)

__all__ = ["Limit", "RateLimits", "VerificationConfirmLimit", "VerificationStartLimit"]
