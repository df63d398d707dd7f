"""Portal login challenges: a one-time code sent to a phone number or e-mail address.

Only a keyed HMAC of the code is stored. A challenge row is written for every request, also for
numbers simexit does not know (with no code sent), so that throttling counts every attempt and
the portal's answer cannot reveal whether a number exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from simexit.db import Base
from simexit.models._types import UtcDateTime, new_id


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
