"""Every query for resellers, within one operator."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from simexit.models import ApiKey, Reseller
from simexit.paging import After, newest_first


def get(
    session: Session, operator_id: uuid.UUID, reseller_id: uuid.UUID, *, for_update: bool
) -> Reseller | None:
    statement = select(Reseller).where(
        Reseller.id == reseller_id, Reseller.operator_id == operator_id
    )
    if for_update:
        statement = statement.with_for_update()
    found: Reseller | None = session.scalars(statement).one_or_none()
    return found


def page(
    session: Session,
    operator_id: uuid.UUID,
    *,
    include_disabled: bool,
    after: After | None,
    limit: int,
) -> list[Reseller]:
    statement = select(Reseller).where(Reseller.operator_id == operator_id)
    if not include_disabled:
        statement = statement.where(Reseller.disabled_at.is_(None))
    statement = newest_first(statement, Reseller.created_at, Reseller.id, after=after, limit=limit)
    return list(session.scalars(statement))


def revoke_keys(session: Session, reseller_id: uuid.UUID, *, now: datetime) -> list[str]:
    """Revoke every live API key of the reseller; the prefixes of those revoked."""
    prefixes = list(
        session.scalars(
            select(ApiKey.prefix).where(
                ApiKey.reseller_id == reseller_id, ApiKey.revoked_at.is_(None)
            )
        )
    )
    if prefixes:
        session.execute(
            update(ApiKey)
            .where(ApiKey.reseller_id == reseller_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return prefixes
