"""API keys: look one up for a request, and create, list and revoke them (`simexit keys`).

A key is `sx_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key is
compared in constant time; only the hash is stored, so a key is shown once, when it is made.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from simexit.errors import NotFound
from simexit.models import ApiKey, Operator, Reseller
from simexit.prepared import Prepared
from simexit.principals import Actor, ActorType
from simexit.seed.demo import hash_api_key, new_api_key


class KeyRefused(Exception):
    """The key is malformed, unknown or revoked; `code` says which, without revealing more."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# Columns on the session's connection, not an entity through the ORM: this runs on every API
# request, and ORM execution is most of its cost.
_KEY_BY_PREFIX = Prepared(
    select(
        ApiKey.prefix, ApiKey.key_hash, ApiKey.revoked_at, ApiKey.operator_id, ApiKey.reseller_id
    ).where(ApiKey.prefix == bindparam("prefix"))
)


def actor_for_key(session: Session, token: str) -> Actor:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "sx" or not parts[1] or len(parts[1]) > 16:
        raise KeyRefused("unauthenticated")
    found = _KEY_BY_PREFIX.one_or_none(session, {"prefix": parts[1]})
    if found is None:
        raise KeyRefused("unauthenticated")
    prefix, key_hash, revoked_at, operator_id, reseller_id = found
    if not hmac.compare_digest(hash_api_key(token), key_hash):
        raise KeyRefused("unauthenticated")
    if revoked_at is not None:
        raise KeyRefused("api_key_revoked")
    return Actor(
        ActorType.integrator, f"key_{prefix}", operator_id=operator_id, reseller_id=reseller_id
    )


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full key, shown once


def create_key(
    session: Session,
    *,
    operator_code: str,
    name: str,
    now: datetime,
    reseller_id: uuid.UUID | None = None,
) -> CreatedKey:
    operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one_or_none()
    if operator is None:
        raise NotFound(f"no operator with code {operator_code!r}", field="operator")
    if reseller_id is not None:
        reseller = session.get(Reseller, reseller_id)
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
        scopes=["*"],
        created_at=now,
    )
    session.add(key)
    session.flush()
    return CreatedKey(key, secret)


def list_keys(session: Session) -> list[tuple[ApiKey, str]]:
    """Every key with its operator's code, newest first."""
    rows = session.execute(
        select(ApiKey, Operator.code)
        .join(Operator, Operator.id == ApiKey.operator_id)
        .order_by(ApiKey.created_at.desc())
    ).tuples()
    return [(key, code) for key, code in rows]


def revoke_key(session: Session, *, prefix: str, now: datetime) -> ApiKey:
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}", field="prefix")
    if key.revoked_at is None:
        key.revoked_at = now
    return key
