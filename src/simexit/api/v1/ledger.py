"""The settlement ledger for finance (admin scope): `GET /v1/ledger-entries` streams the
operator's entries of a period as CSV, `GET /v1/ledger/trial-balance` says whether every case and
payout adds up, naming each one that does not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from simexit.access.scopes import require_admin
from simexit.api.deps import ActorDep, ReadSessionDep, RuntimeDep
from simexit.api.errors import responses
from simexit.errors import InvalidInput
from simexit.ledger import service

router = APIRouter(tags=["ledger"])


def _operator(actor_operator_id: object) -> None:
    if actor_operator_id is None:
        raise InvalidInput(
            "the ledger is per operator: use an operator's API key", field="authorization"
        )


@router.get(
    "/v1/ledger-entries",
    name="export_ledger_entries",
    responses={
        200: {"description": "The entries, oldest first.", "content": {"text/csv": {}}},
        **responses(401, 403, 422),
    },
    response_class=StreamingResponse,
)
def export_ledger_entries(
    runtime: RuntimeDep,
    actor: ActorDep,
    from_: Annotated[date, Query(alias="from", description="First day (UTC).")],
    to: Annotated[date, Query(description="Last day, included (UTC).")],
) -> StreamingResponse:
    """Every ledger entry of the operator's cases created in the period: time, case reference,
    kind, account, the amount with the currency's decimals and in minor units, currency."""
    require_admin(actor)
    _operator(actor.operator_id)
    assert actor.operator_id is not None  # noqa: S101 - _operator checked it
    operator_id = actor.operator_id
    # A bad period is a 422 now, not an error half-way through the body.
    start, end = service.period(from_, to)

    def lines() -> Iterator[str]:
        with runtime.db.read_session() as session:
            yield from service.csv_lines(session, operator_id, start, end)

    filename = f"ledger-{from_.isoformat()}-{to.isoformat()}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class LedgerProblem(BaseModel):
    case_reference: str
    rule: str
    detail: str


class TrialBalanceRead(BaseModel):
    balanced: bool
    cases: int
    payouts: int
    problems: list[LedgerProblem]


@router.get(
    "/v1/ledger/trial-balance",
    name="get_trial_balance",
    response_model=TrialBalanceRead,
    responses=responses(401, 403, 422),
)
def get_trial_balance(session: ReadSessionDep, actor: ActorDep) -> TrialBalanceRead:
    """Whether each of the operator's cases sums to zero per currency and each payout's money is
    where its status says, for the amount its case owed."""
    require_admin(actor)
    _operator(actor.operator_id)
    result = service.check(session, actor.operator_id)
    return TrialBalanceRead(
        balanced=result.balanced,
        cases=result.cases,
        payouts=result.payouts,
        problems=[LedgerProblem(**asdict(p)) for p in result.problems],
    )
