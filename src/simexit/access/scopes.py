"""What an API key may reach. A key holds scopes; the portal's and console's actors hold roles.

- `cases`: the integration surface: lines look-up, previews, cases, port-outs, eSIM transfers.
- `admin`: the operator's own set-up: provisioning subscribers and lines, imports, staff,
  resellers, webhook endpoints, test clocks. Only an operator-level key (no reseller) can hold it.
- `identity:attest`: record an identity check the operator's own systems made (a document seen
  in a store, a PIN checked by the IVR, an eID login at the operator). Given only when the key is
  made, and only to an operator-level key: a reseller's key never attests identity.
- `*`: every scope, today's and tomorrow's (the keys made before scopes existed hold it).
"""

from __future__ import annotations

from simexit.errors import Forbidden, InvalidInput
from simexit.principals import Actor, ActorType, StaffRole

CASES = "cases"
ADMIN = "admin"
IDENTITY_ATTEST = "identity:attest"
EVERY = "*"
KNOWN = frozenset({CASES, ADMIN, IDENTITY_ATTEST, EVERY})
# What only an operator-level key may hold.
OPERATOR_ONLY = frozenset({ADMIN, IDENTITY_ATTEST, EVERY})
DEFAULT = (CASES,)


class ScopeRequired(Forbidden):
    code = "scope_required"


class AttestScopeRequired(ScopeRequired):
    code = "attest_scope_required"


def check_requested(scopes: tuple[str, ...], *, for_reseller: bool) -> tuple[str, ...]:
    """The scopes a new key asks for, checked: known names, and no `admin` for a reseller."""
    unknown = sorted(set(scopes) - KNOWN)
    if unknown:
        raise InvalidInput(
            f"unknown scope {unknown[0]!r}; known: {', '.join(sorted(KNOWN))}", field="scopes"
        )
    if for_reseller and (OPERATOR_ONLY & set(scopes)):
        held = sorted(OPERATOR_ONLY & set(scopes))[0]
        raise InvalidInput(f"a reseller's key cannot hold the {held} scope", field="scopes")
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


def may_attest(actor: Actor) -> bool:
    """Who may record an identity check made outside simexit: an agent signed in with a staff
    role, the operator's CLI or simexit itself, or an operator-level key given `identity:attest`
    when it was made. Never a reseller's key, never a subscriber."""
    if actor.type in {ActorType.system, ActorType.cli}:
        return True
    if actor.type is ActorType.agent:
        return actor.role is not None
    if actor.type is ActorType.integrator:
        return actor.reseller_id is None and bool({IDENTITY_ATTEST, EVERY} & actor.scopes)
    return False


def require_attest(actor: Actor) -> None:
    """Refuse (403 attest_scope_required) an operator key made without `identity:attest`, or an agent
    with no staff role. Resellers and subscribers are refused before this (`not_permitted`)."""
    if not may_attest(actor):
        raise AttestScopeRequired(
            "recording an identity check needs an operator-level API key made with the "
            f"{IDENTITY_ATTEST} scope, or a staff member's sign-in with a role",
            field="authorization",
            scope=IDENTITY_ATTEST,
        )
