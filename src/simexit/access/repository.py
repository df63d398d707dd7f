"""Every query for API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from simexit.models import ApiKey, Operator, Reseller
from simexit.prepared import Prepared

# Columns on the session's connection, not an entity through the ORM: this runs on every API
# request, and ORM execution is most of its cost.
_KEY_BY_PREFIX = Prepared(
    select(
        ApiKey.prefix,
        ApiKey.key_hash,
        ApiKey.revoked_at,
        ApiKey.operator_id,
        ApiKey.reseller_id,
        ApiKey.scopes,
        ApiKey.name,
    ).where(ApiKey.prefix == bindparam("prefix"))
)

KeyRow = tuple[str, str, datetime | None, uuid.UUID, uuid.UUID | None, list[str], str]


def key_by_prefix(session: Session, prefix: str) -> KeyRow | None:
    """(prefix, key_hash, revoked_at, operator_id, reseller_id, scopes, name) of the key, if any."""
    row = _KEY_BY_PREFIX.one_or_none(session, {"prefix": prefix})
    if row is None:
        return None
    return (row[0], row[1], row[2], row[3], row[4], list(row[5] or ()), row[6])


def operator_by_code(session: Session, code: str) -> Operator | None:
    found: Operator | None = session.scalars(
        select(Operator).where(Operator.code == code)
    ).one_or_none()
    return found


def reseller(session: Session, reseller_id: uuid.UUID) -> Reseller | None:
    return session.get(Reseller, reseller_id)


def keys_with_operator_codes(session: Session) -> list[tuple[ApiKey, str]]:
    """Every key with its operator's code, newest first."""
    rows = session.execute(
        select(ApiKey, Operator.code)
        .join(Operator, Operator.id == ApiKey.operator_id)
        .order_by(ApiKey.created_at.desc())
    ).tuples()
    return [(key, code) for key, code in rows]


def key_for_update(session: Session, prefix: str) -> ApiKey | None:
    found: ApiKey | None = session.scalars(
        select(ApiKey).where(ApiKey.prefix == prefix).with_for_update()
    ).one_or_none()
    return found
