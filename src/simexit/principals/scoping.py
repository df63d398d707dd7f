"""Tenant scoping for the repositories: what a principal may see of rows that carry an operator,
a reseller and a subscriber (cases, lines). Outside the scope a row is simply not found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, select

from simexit.models import Case, Line
from simexit.principals import Actor, ActorType

Scoped = type[Case] | type[Line]


def scope(statement: Select[Any], actor: Actor, model: Scoped) -> Select[Any]:
    if actor.operator_id is not None:
        statement = statement.where(model.operator_id == actor.operator_id)
    if actor.reseller_id is not None:
        statement = statement.where(model.reseller_id == actor.reseller_id)
    if actor.type is ActorType.subscriber:
        statement = statement.where(model.subscriber_id == actor.subscriber_id)
    return statement


# The look-ups every write request makes, built once per shape with bound parameters. Building a
# statement (and its cache key) per call costs more than SQLite takes to run it; a prebuilt one
# reaches SQLAlchemy's compiled cache at once.
_ByIdShape = tuple[Scoped, bool, bool, bool, bool]
_BY_ID: dict[_ByIdShape, Select[Any]] = {}


def by_id_in_scope(
    model: Scoped, actor: Actor, for_update: bool
) -> tuple[Select[Any], dict[str, Any]]:
    """`select(model)` by id within the actor's tenant, and the parameters to run it with."""
    subscriber_scoped = actor.type is ActorType.subscriber
    shape = (
        model,
        actor.operator_id is not None,
        actor.reseller_id is not None,
        subscriber_scoped,
        for_update,
    )
    statement = _BY_ID.get(shape)
    if statement is None:
        statement = select(model).where(model.id == bindparam("id"))
        if shape[1]:
            statement = statement.where(model.operator_id == bindparam("operator_id"))
        if shape[2]:
            statement = statement.where(model.reseller_id == bindparam("reseller_id"))
        if subscriber_scoped:
            statement = statement.where(model.subscriber_id == bindparam("subscriber_id"))
        if for_update:
            statement = statement.with_for_update()
        _BY_ID[shape] = statement
    parameters: dict[str, Any] = {"id": None}
    if shape[1]:
        parameters["operator_id"] = actor.operator_id
    if shape[2]:
        parameters["reseller_id"] = actor.reseller_id
    if subscriber_scoped:
        parameters["subscriber_id"] = actor.subscriber_id
    return statement, parameters
