"""Audit rows for staff sign-in: `signin.succeeded`, `signin.failed`, `session.revoked`.

Each lands in the trail of the account's operator, with the account as its subject. A failed
attempt for an address no account has has no operator, so it leaves no audit row (the throttle
still counts it, and the log has it); the client address is not written into the trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.models import StaffUser
from simexit.principals import Actor, ActorType, StaffRole

SUBJECT = "staff_user"
# Who acts in a failed attempt: not the account (that was not proven), the sign-in itself.
SIGN_IN = Actor(ActorType.system, "console-sign-in")


def _staff(staff: StaffUser) -> Actor:
    return Actor(
        ActorType.agent, staff.email, operator_id=staff.operator_id, role=StaffRole(staff.role)
    )


def _record(
    session: Session,
    staff_id: uuid.UUID,
    action: str,
    *,
    now: datetime,
    as_staff: bool,
    changes: dict[str, str] | None = None,
) -> None:
    staff = session.get(StaffUser, staff_id)
    if staff is None:
        return
    audit.record(
        session,
        operator_id=staff.operator_id,
        actor=_staff(staff) if as_staff else SIGN_IN,
        action=action,
        subject_type=SUBJECT,
        subject_id=staff.id,
        at=now,
        changes=changes,
    )


def signed_in(session: Session, staff_id: uuid.UUID, *, now: datetime) -> None:
    _record(session, staff_id, "signin.succeeded", now=now, as_staff=True)


def sign_in_failed(session: Session, staff_id: uuid.UUID, *, reason: str, now: datetime) -> None:
    """`reason`: wrong_password | throttled."""
    _record(session, staff_id, "signin.failed", now=now, as_staff=False, changes={"reason": reason})


def session_revoked(session: Session, staff_id: uuid.UUID, *, now: datetime) -> None:
    _record(session, staff_id, "session.revoked", now=now, as_staff=True)
