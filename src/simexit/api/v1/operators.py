"""GET /v1/operators and the active policy pack of one, with the source of every value."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.api.deps import ActorDep, ReadSessionDep, RuntimeDep
from simexit.api.errors import responses
from simexit.api.v1.schemas import OperatorList, OperatorRead, PolicyRead
from simexit.errors import NotFound
from simexit.models import Operator
from simexit.principals import Actor

router = APIRouter(prefix="/v1/operators", tags=["operators"])


class OperatorNotFound(NotFound):
    code = "operator_not_found"


def _visible_operators(session: Session, actor: Actor) -> list[Operator]:
    statement = select(Operator).order_by(Operator.code)
    if actor.operator_id is not None:
        statement = statement.where(Operator.id == actor.operator_id)
    return list(session.scalars(statement))


def _visible_operator(session: Session, actor: Actor, operator_id: uuid.UUID) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None or (actor.operator_id is not None and operator.id != actor.operator_id):
        raise OperatorNotFound("no such operator", field="operator_id")
    return operator


@router.get("", name="list_operators", response_model=OperatorList, responses=responses(401))
def list_operators(session: ReadSessionDep, actor: ActorDep) -> OperatorList:
    """The operators the caller acts for (an operator's key sees its own)."""
    return OperatorList(items=[OperatorRead.of(o) for o in _visible_operators(session, actor)])


@router.get(
    "/{operator_id}/policy",
    name="get_operator_policy",
    response_model=PolicyRead,
    responses=responses(401, 404),
)
def get_operator_policy(
    operator_id: uuid.UUID, session: ReadSessionDep, actor: ActorDep, runtime: RuntimeDep
) -> PolicyRead:
    """The operator's active policy pack, merged, each value with its evidence status and sources."""
    operator = _visible_operator(session, actor, operator_id)
    pack = runtime.packs.get(operator.policy_pack)
    return PolicyRead(
        operator_id=operator.id, pack_id=operator.policy_pack, pack=pack.to_public_dict()
    )
