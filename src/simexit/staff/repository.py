"""Every query for staff users, always within one operator (None: the CLI's platform-wide view)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from simexit.models import Operator, StaffUser, WebSession
from simexit.paging import After, newest_first


def get(
    session: Session, operator_id: uuid.UUID | None, staff_id: uuid.UUID, *, for_update: bool
) -> StaffUser | None:
    statement = select(StaffUser).where(StaffUser.id == staff_id)
    if operator_id is not None:
        statement = statement.where(StaffUser.operator_id == operator_id)
    if for_update:
        statement = statement.with_for_update()
    found: StaffUser | None = session.scalars(statement).one_or_none()
    return found


def by_email(session: Session, email: str) -> StaffUser | None:
    found: StaffUser | None = session.scalars(
        select(StaffUser).where(StaffUser.email == email)
    ).one_or_none()
    return found


def page(
    session: Session,
    operator_id: uuid.UUID | None,
    *,
    role: str | None,
    include_disabled: bool,
    after: After | None,
    limit: int,
) -> list[StaffUser]:
    statement = select(StaffUser)
    if operator_id is not None:
        statement = statement.where(StaffUser.operator_id == operator_id)
    if role is not None:
        statement = statement.where(StaffUser.role == role)
    if not include_disabled:
        statement = statement.where(StaffUser.disabled_at.is_(None))
    statement = newest_first(
        statement, StaffUser.created_at, StaffUser.id, after=after, limit=limit
    )
    return list(session.scalars(statement))


def with_operator_codes(session: Session, operator_code: str | None) -> list[tuple[StaffUser, str]]:
    """Staff users with their operator's code, by operator and e-mail (for `simexit staff list`)."""
    statement = select(StaffUser, Operator.code).join(
        Operator, Operator.id == StaffUser.operator_id
    )
    if operator_code is not None:
        statement = statement.where(Operator.code == operator_code)
    rows = session.execute(statement.order_by(Operator.code, StaffUser.email)).all()
    return [(staff, code) for staff, code in rows]


def revoke_sessions(session: Session, staff_id: uuid.UUID, *, now: datetime) -> int:
    """End every live web session of the user; how many were live."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.staff_id == staff_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def operator_by_code(session: Session, code: str) -> Operator | None:
    found: Operator | None = session.scalars(
        select(Operator).where(Operator.code == code)
    ).one_or_none()
    return found
