"""What an API key may reach. A key holds scopes; the portal's and console's actors hold roles.

- `cases`: the integration surface: lines look-up, previews, cases, port-outs, eSIM transfers.
- `admin`: the operator's own set-up: provisioning subscribers and lines, imports, staff,
  resellers, webhook endpoints, test clocks. Only an operator-level key (no reseller) can hold it.
- `*`: every scope, today's and tomorrow's (the keys made before scopes existed hold it).
"""

from __future__ import annotations

from simexit.errors import Forbidden, InvalidInput
from simexit.principals import Actor, ActorType, StaffRole

CASES = "cases"
ADMIN = "admin"
EVERY = "*"
KNOWN = frozenset({CASES, ADMIN, EVERY})
DEFAULT = (CASES,)


class ScopeRequired(Forbidden):
    code = "scope_required"


def check_requested(scopes: tuple[str, ...], *, for_reseller: bool) -> tuple[str, ...]:
    """The scopes a new key asks for, checked: known names, and no `admin` for a reseller."""
    unknown = sorted(set(scopes) - KNOWN)
    if unknown:
        raise InvalidInput(
            f"unknown scope {unknown[0]!r}; known: {', '.join(sorted(KNOWN))}", field="scopes"
        )
    if for_reseller and ({ADMIN, EVERY} & set(scopes)):
        raise InvalidInput("a reseller's key cannot hold the admin scope", field="scopes")
    return tuple(dict.fromkeys(scopes)) or DEFAULT


def has_admin(actor: Actor) -> bool:
    if actor.type in {ActorType.system, ActorType.cli}:
        return True
    if actor.type is ActorType.agent:
        return actor.role is StaffRole.admin
    if actor.type is ActorType.integrator:
        return actor.reseller_id is None and bool({ADMIN, EVERY} & actor.scopes)
    return False


def require_admin(actor: Actor) -> None:
    """Refuse (403 scope_required) an actor who may not change the operator's set-up."""
    if not has_admin(actor):
        raise ScopeRequired(
            "this needs an operator-level API key with the admin scope, or an admin's sign-in",
            field="authorization",
        )
