"""Which actors may change an operator's set-up, and which scopes a new key may hold."""

from __future__ import annotations

import uuid

import pytest

from simexit.access import scopes
from simexit.errors import Forbidden, InvalidInput
from simexit.principals import SYSTEM, Actor, ActorType, StaffRole

OPERATOR = uuid.uuid4()


def _key(*granted: str, reseller: uuid.UUID | None = None) -> Actor:
    return Actor(
        ActorType.integrator,
        "key_x",
        operator_id=OPERATOR,
        reseller_id=reseller,
        scopes=frozenset(granted),
    )


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (_key("admin"), True),
        (_key("*"), True),
        (_key("cases"), False),
        (_key(), False),
        (_key("*", reseller=uuid.uuid4()), False),
        (Actor(ActorType.agent, "a", operator_id=OPERATOR, role=StaffRole.admin), True),
        (Actor(ActorType.agent, "a", operator_id=OPERATOR, role=StaffRole.supervisor), False),
        (Actor(ActorType.subscriber, "s", operator_id=OPERATOR), False),
        (SYSTEM, True),
    ],
)
def test_only_operator_level_admins_reach_the_set_up(actor: Actor, allowed: bool) -> None:
    assert scopes.has_admin(actor) is allowed
    if allowed:
        scopes.require_admin(actor)
    else:
        with pytest.raises(Forbidden) as refused:
            scopes.require_admin(actor)
        assert refused.value.code == "scope_required"


def test_a_new_key_gets_cases_unless_it_asks_for_more() -> None:
    assert scopes.check_requested((), for_reseller=False) == ("cases",)
    assert scopes.check_requested(("admin", "cases", "admin"), for_reseller=False) == (
        "admin",
        "cases",
    )


def test_unknown_scopes_and_reseller_admins_are_refused_by_field() -> None:
    with pytest.raises(InvalidInput) as unknown:
        scopes.check_requested(("root",), for_reseller=False)
    assert unknown.value.field == "scopes"
    with pytest.raises(InvalidInput):
        scopes.check_requested(("admin",), for_reseller=True)
