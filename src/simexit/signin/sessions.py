"""Server-side web sessions: the cookie carries a random token, the row says who it is.

Only the token's SHA-256 is stored (the token has 256 random bits, so a plain hash is enough,
as for API keys): a copy of the table signs nobody in. A session ends when it expires (fixed at
sign-in) or is revoked by signing out.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from simexit.models import WebSession
from simexit.signin import events


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a session signs in."""

    kind: str  # subscriber | staff
    subscriber_ids: tuple[uuid.UUID, ...] = ()
    staff_id: uuid.UUID | None = None
    via: str = "sms"  # how the subscriber proved the number: sms | email


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, principal: Principal, *, lifetime: timedelta, now: datetime) -> str:
    """A new session for `principal`; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=token_hash(token),
            kind=principal.kind,
            staff_id=principal.staff_id,
            subscriber_ids=[str(i) for i in principal.subscriber_ids],
            via=principal.via,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def find(session: Session, token: str, *, now: datetime) -> Principal | None:
    """The principal of a live session (not revoked, not expired), or None."""
    row = session.get(WebSession, token_hash(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    try:
        ids = tuple(uuid.UUID(i) for i in row.subscriber_ids)
    except (ValueError, TypeError):
        return None
    return Principal(row.kind, subscriber_ids=ids, staff_id=row.staff_id, via=row.via)


def revoke(session: Session, token: str, *, now: datetime) -> bool:
    """End the session; True if a live one was ended."""
    return revoke_principal(session, token, now=now) is not None


def revoke_principal(session: Session, token: str, *, now: datetime) -> Principal | None:
    """End the session; whom it signed in when a live one was ended, else None. A staff
    session's end is written to the audit trail (`session.revoked`)."""
    principal = find(session, token, now=now)
    result = session.execute(
        update(WebSession)
        .where(WebSession.id == token_hash(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if not getattr(result, "rowcount", 0):
        return None
    if principal is not None and principal.staff_id is not None:
        events.session_revoked(session, principal.staff_id, now=now)
    return principal


def purge(session: Session, *, now: datetime, limit: int) -> int:
    """Delete up to `limit` expired or revoked sessions; returns how many."""
    ids = list(
        session.scalars(
            select(WebSession.id)
            .where(or_(WebSession.expires_at <= now, WebSession.revoked_at.is_not(None)))
            .limit(limit)
        )
    )
    if not ids:
        return 0
    session.execute(delete(WebSession).where(WebSession.id.in_(ids)))
    return len(ids)
