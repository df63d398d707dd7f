"""Signing in: portal login challenges, server-side web sessions and failed staff sign-ins.

Portal login challenges: a one-time code sent to a phone number or e-mail address.

Only a keyed HMAC of the code is stored. A challenge row is written for every request, also for
numbers simexit does not know (with no code sent), so that throttling counts every attempt and
the portal's answer cannot reveal whether a number exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import JsonType, UtcDateTime, new_id


class LoginChallenge(Base):
    __tablename__ = "login_challenges"
    __table_args__ = (
        Index("ix_login_challenges_identifier_created", "identifier_hash", "created_at"),
        Index("ix_login_challenges_client_created", "client_hash", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # Keyed hashes: the table never holds a phone number, e-mail address or client address.
    identifier_hash: Mapped[str] = mapped_column(String(64))
    client_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    code_hash: Mapped[str | None] = mapped_column(String(64))  # None: nothing was sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(
        String(20)
    )  # pending | passed | locked | expired | throttled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, this row its SHA-256 and who it is.

    Signing out sets `revoked_at`, so a copy of the old cookie no longer works; `expires_at` is
    fixed at sign-in. Revoked and expired rows are deleted by `signin.purge`."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    kind: Mapped[str] = mapped_column(String(20))  # staff | subscriber
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    subscriber_ids: Mapped[list[str]] = mapped_column(JsonType, default=list)
    via: Mapped[str] = mapped_column(String(10), default="sms")  # sms | email (subscribers)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignInFailure(Base):
    """Failed staff sign-ins of one subject: a keyed hash of an e-mail address or of a client
    address (`key` says which), and when the next attempt may be checked.

    `expires_at` is a day after the last failure: a row past it counts from zero again."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
