"""Staff use cases: create, change, disable, reset a password; list and read.

Passwords reach the service hashed and checked (`prepare_password`), so that argon2 (tens of
milliseconds of CPU) runs before the write transaction opens, never inside it. Audit rows name
what changed, never a password or its hash. Disabling a user or resetting their password ends
every web session of theirs in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.errors import Conflict, NotFound
from simexit.models import StaffUser
from simexit.paging import After
from simexit.principals import Actor, ActorType, StaffRole
from simexit.staff import repository, rules
from simexit.staff.errors import EmailTaken, StaffNotFound, check_password


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """An argon2 hash of a password that passed the rule; only `prepare_password` makes one."""

    value: str


def prepare_password(password: str, *, email: str, hasher: Callable[[str], str]) -> PasswordHash:
    """Check the rule (raising the refusal named after it), then hash. CPU-heavy: call it with
    no transaction open."""
    check_password(password, email=email)
    return PasswordHash(hasher(password))


@dataclass(frozen=True, slots=True)
class NewStaff:
    email: str
    full_name: str
    role: StaffRole
    language: str = "en"


@dataclass(frozen=True, slots=True)
class StaffChange:
    """A PATCH: None leaves a field as it is."""

    full_name: str | None = None
    role: StaffRole | None = None
    language: str | None = None


class CannotChangeSelf(Conflict):
    code = "cannot_change_self"


def _record(
    session: Session,
    staff: StaffUser,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    changes: dict[str, Any],
    request_id: str | None,
) -> None:
    audit.record(
        session,
        operator_id=staff.operator_id,
        actor=actor,
        action=action,
        subject_type="staff_user",
        subject_id=staff.id,
        at=now,
        changes=changes,
        request_id=request_id,
    )


def create_staff(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    new: NewStaff,
    password: PasswordHash,
    now: datetime,
    request_id: str | None = None,
) -> StaffUser:
    email = rules.normal_email(new.email)
    if repository.by_email(session, email) is not None:
        raise EmailTaken("a staff user with this e-mail address exists", field="email")
    staff = StaffUser(
        id=uuid.uuid4(),
        operator_id=operator_id,
        email=email,
        full_name=new.full_name,
        role=new.role.value,
        password_hash=password.value,
        language=new.language,
        created_at=now,
    )
    session.add(staff)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another request took the address since the look-up
        raise EmailTaken("a staff user with this e-mail address exists", field="email") from None
    _record(
        session,
        staff,
        actor=actor,
        action="staff.created",
        now=now,
        changes={
            "email": email,
            "full_name": new.full_name,
            "role": new.role.value,
            "language": new.language,
        },
        request_id=request_id,
    )
    return staff


def get_staff(session: Session, operator_id: uuid.UUID | None, staff_id: uuid.UUID) -> StaffUser:
    staff = repository.get(session, operator_id, staff_id, for_update=False)
    if staff is None:
        raise StaffNotFound("no such staff user", field="staff_id")
    return staff


def list_staff(
    session: Session,
    operator_id: uuid.UUID | None,
    *,
    role: StaffRole | None = None,
    include_disabled: bool = True,
    after: After | None = None,
    limit: int = 50,
) -> list[StaffUser]:
    return repository.page(
        session,
        operator_id,
        role=role.value if role else None,
        include_disabled=include_disabled,
        after=after,
        limit=limit,
    )


def _for_update(session: Session, operator_id: uuid.UUID | None, staff_id: uuid.UUID) -> StaffUser:
    staff = repository.get(session, operator_id, staff_id, for_update=True)
    if staff is None:
        raise StaffNotFound("no such staff user", field="staff_id")
    return staff


def _is_self(actor: Actor, staff: StaffUser) -> bool:
    return actor.type is ActorType.agent and actor.id == str(staff.id)


def update_staff(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID | None,
    staff_id: uuid.UUID,
    change: StaffChange,
    now: datetime,
    request_id: str | None = None,
) -> StaffUser:
    staff = _for_update(session, operator_id, staff_id)
    if change.role is not None and change.role.value != staff.role and _is_self(actor, staff):
        # An admin who demotes themself may leave the operator with no admin at all.
        raise CannotChangeSelf("you cannot change your own role", field="role")
    changes: dict[str, Any] = {}
    for name, value in (
        ("full_name", change.full_name),
        ("role", change.role.value if change.role else None),
        ("language", change.language),
    ):
        if value is not None and getattr(staff, name) != value:
            changes[name] = [getattr(staff, name), value]
            setattr(staff, name, value)
    if changes:
        _record(
            session,
            staff,
            actor=actor,
            action="staff.updated",
            now=now,
            changes=changes,
            request_id=request_id,
        )
    return staff


def disable_staff(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID | None,
    staff_id: uuid.UUID,
    now: datetime,
    request_id: str | None = None,
) -> StaffUser:
    """Idempotent: disabling a disabled user changes nothing and writes no audit row."""
    staff = _for_update(session, operator_id, staff_id)
    if _is_self(actor, staff):
        raise CannotChangeSelf("you cannot disable yourself", field="staff_id")
    if staff.disabled_at is None:
        staff.disabled_at = now
        ended = repository.revoke_sessions(session, staff.id, now=now)
        _record(
            session,
            staff,
            actor=actor,
            action="staff.disabled",
            now=now,
            changes={"sessions_revoked": ended},
            request_id=request_id,
        )
    return staff


def reset_password(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID | None,
    staff_id: uuid.UUID,
    password: PasswordHash,
    now: datetime,
    request_id: str | None = None,
) -> StaffUser:
    """A new password; the user's web sessions end (whoever knew the old one is signed out)."""
    staff = _for_update(session, operator_id, staff_id)
    staff.password_hash = password.value
    ended = repository.revoke_sessions(session, staff.id, now=now)
    _record(
        session,
        staff,
        actor=actor,
        action="staff.password_reset",
        now=now,
        changes={"sessions_revoked": ended},
        request_id=request_id,
    )
    return staff


def operator_id_of_code(session: Session, code: str) -> uuid.UUID:
    operator = repository.operator_by_code(session, code)
    if operator is None:
        raise NotFound(f"no operator with code {code!r}", field="operator")
    return operator.id


def staff_with_operator_codes(
    session: Session, operator_code: str | None
) -> list[tuple[StaffUser, str]]:
    return repository.with_operator_codes(session, operator_code)


def email_of(session: Session, operator_id: uuid.UUID | None, staff_id: uuid.UUID) -> str:
    return get_staff(session, operator_id, staff_id).email


def staff_by_email(session: Session, email: str) -> StaffUser:
    staff = repository.by_email(session, rules.normal_email(email))
    if staff is None:
        raise StaffNotFound(f"no staff user with e-mail address {email!r}", field="email")
    return staff
