"""Stored responses for `Idempotency-Key`, written in the same transaction as the effect.

This is the only idempotency store: every keyed POST of the API, case opening included, goes
through it (`api.transaction`), and a key belongs to the caller that sent it (the principal is
the caller's label, e.g. `integrator:key_<prefix>` for an API key), never to an operator as a
whole. Two callers
may use the same key for different requests; one caller's key means one effect until it expires.

The key row is inserted *before* the effect runs. A concurrent request with the same key then
waits on the unique (principal, key) index until the first commits, fails to insert, and answers
with the stored response instead of running the effect a second time. On SQLite the write lock
serializes them even earlier. Rows live 24 hours; each principal's expired rows are deleted by its
next keyed request.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simexit.models import IdempotencyKey

TTL_HOURS: Final = 24
TTL: Final = timedelta(hours=TTL_HOURS)
IN_PROGRESS: Final = 0  # response_status of a claimed key whose effect has not committed yet


class KeyTaken(Exception):
    """Another transaction inserted the same key first; read its outcome after rolling back."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    """sha256 over method, path and the canonical JSON of the body (raw bytes if not JSON)."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def find(session: Session, *, principal: str, key: str, now: datetime) -> IdempotencyKey | None:
    row = session.scalars(
        select(IdempotencyKey).where(
            IdempotencyKey.principal == principal, IdempotencyKey.key == key
        )
    ).one_or_none()
    if row is not None and row.expires_at <= now:
        return None
    return row


def claim(
    session: Session, *, principal: str, key: str, request_hash: str, now: datetime
) -> tuple[IdempotencyKey, bool]:
    """(row, True) when this key was used before; else (a new in-progress row, False).

    Raises KeyTaken when a concurrent transaction inserted the same key first."""
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.principal == principal, IdempotencyKey.expires_at <= now
        )
    )
    existing = find(session, principal=principal, key=key, now=now)
    if existing is not None:
        return existing, True
    row = IdempotencyKey(
        principal=principal,
        key=key,
        request_hash=request_hash,
        response_status=IN_PROGRESS,
        response_body=None,
        created_at=now,
        expires_at=now + TTL,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise KeyTaken from None
    return row, False


def complete(
    session: Session,
    row: IdempotencyKey,
    *,
    status: int,
    body: dict[str, Any],
    location: str | None = None,
) -> None:
    row.response_status = status
    row.response_body = body
    row.response_location = location
    session.flush()
