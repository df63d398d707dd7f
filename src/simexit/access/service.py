"""API keys: look one up for a request; create, list and revoke them (`simexit keys`).

Creating and revoking a key is audited in the operator's chain (the key's prefix and name, never
the key)."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.access import repository
from simexit.access import scopes as scopes_module
from simexit.access.keys import hash_api_key, new_api_key, split_api_key
from simexit.audit import service as audit
from simexit.errors import NotFound
from simexit.models import ApiKey
from simexit.principals import Actor, ActorType

DEFAULT_SCOPES = scopes_module.DEFAULT


class KeyRefused(Exception):
    """The key is malformed, unknown or revoked; `code` says which, without revealing more."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def actor_for_key(session: Session, token: str) -> Actor:
    prefix = split_api_key(token)
    if prefix is None:
        raise KeyRefused("unauthenticated")
    found = repository.key_by_prefix(session, prefix)
    if found is None:
        raise KeyRefused("unauthenticated")
    prefix, key_hash, revoked_at, operator_id, reseller_id, scopes, name = found
    if not hmac.compare_digest(hash_api_key(token), key_hash):
        raise KeyRefused("unauthenticated")
    if revoked_at is not None:
        raise KeyRefused("api_key_revoked")
    return Actor(
        ActorType.integrator,
        f"key_{prefix}",
        operator_id=operator_id,
        reseller_id=reseller_id,
        scopes=frozenset(scopes),
        name=name,
    )


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full key, shown once


def create_key(
    session: Session,
    *,
    actor: Actor,
    operator_code: str,
    name: str,
    now: datetime,
    reseller_id: uuid.UUID | None = None,
    scopes: tuple[str, ...] = scopes_module.DEFAULT,
) -> CreatedKey:
    granted = scopes_module.check_requested(scopes, for_reseller=reseller_id is not None)
    operator = repository.operator_by_code(session, operator_code)
    if operator is None:
        raise NotFound(f"no operator with code {operator_code!r}", field="operator")
    if reseller_id is not None:
        reseller = repository.reseller(session, reseller_id)
        if reseller is None or reseller.operator_id != operator.id:
            raise NotFound(
                f"operator {operator_code} has no reseller {reseller_id}", field="reseller"
            )
    prefix, secret = new_api_key()
    key = ApiKey(
        operator_id=operator.id,
        reseller_id=reseller_id,
        name=name,
        prefix=prefix,
        key_hash=hash_api_key(secret),
        scopes=list(granted),
        created_at=now,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        operator_id=operator.id,
        actor=actor,
        action="api_key.created",
        subject_type="api_key",
        subject_id=key.id,
        at=now,
        changes={
            "prefix": prefix,
            "name": name,
            "reseller_id": reseller_id,
            "scopes": list(granted),
        },
    )
    return CreatedKey(key, secret)


def list_keys(session: Session) -> list[tuple[ApiKey, str]]:
    """Every key with its operator's code, newest first."""
    return repository.keys_with_operator_codes(session)


def revoke_key(session: Session, *, actor: Actor, prefix: str, now: datetime) -> ApiKey:
    key = repository.key_for_update(session, prefix)
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}", field="prefix")
    if key.revoked_at is None:
        key.revoked_at = now
        audit.record(
            session,
            operator_id=key.operator_id,
            actor=actor,
            action="api_key.revoked",
            subject_type="api_key",
            subject_id=key.id,
            at=now,
            changes={"prefix": prefix},
        )
    return key
