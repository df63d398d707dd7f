"""Reseller use cases: create, rename, disable; list and read. Every change is audited.

Disabling a reseller revokes its API keys in the same transaction, so it can no longer act; its
lines and cases stay as they are (they are the operator's, and the history must not change).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.errors import NotFound
from simexit.models import Reseller
from simexit.paging import After
from simexit.principals import Actor
from simexit.resellers import repository


class ResellerNotFound(NotFound):
    code = "reseller_not_found"


def _record(
    session: Session,
    reseller: Reseller,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    changes: dict[str, Any],
    request_id: str | None,
) -> None:
    audit.record(
        session,
        operator_id=reseller.operator_id,
        actor=actor,
        action=action,
        subject_type="reseller",
        subject_id=reseller.id,
        at=now,
        changes=changes,
        request_id=request_id,
    )


def create_reseller(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    name: str,
    now: datetime,
    request_id: str | None = None,
) -> Reseller:
    reseller = Reseller(id=uuid.uuid4(), operator_id=operator_id, name=name, created_at=now)
    session.add(reseller)
    session.flush()
    _record(
        session,
        reseller,
        actor=actor,
        action="reseller.created",
        now=now,
        changes={"name": name},
        request_id=request_id,
    )
    return reseller


def get_reseller(session: Session, operator_id: uuid.UUID, reseller_id: uuid.UUID) -> Reseller:
    reseller = repository.get(session, operator_id, reseller_id, for_update=False)
    if reseller is None:
        raise ResellerNotFound("no such reseller", field="reseller_id")
    return reseller


def list_resellers(
    session: Session,
    operator_id: uuid.UUID,
    *,
    include_disabled: bool = True,
    after: After | None = None,
    limit: int = 50,
) -> list[Reseller]:
    return repository.page(
        session, operator_id, include_disabled=include_disabled, after=after, limit=limit
    )


def _for_update(session: Session, operator_id: uuid.UUID, reseller_id: uuid.UUID) -> Reseller:
    reseller = repository.get(session, operator_id, reseller_id, for_update=True)
    if reseller is None:
        raise ResellerNotFound("no such reseller", field="reseller_id")
    return reseller


def rename_reseller(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    reseller_id: uuid.UUID,
    name: str,
    now: datetime,
    request_id: str | None = None,
) -> Reseller:
    reseller = _for_update(session, operator_id, reseller_id)
    if reseller.name != name:
        _record(
            session,
            reseller,
            actor=actor,
            action="reseller.renamed",
            now=now,
            changes={"name": [reseller.name, name]},
            request_id=request_id,
        )
        reseller.name = name
    return reseller


def disable_reseller(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    reseller_id: uuid.UUID,
    now: datetime,
    request_id: str | None = None,
) -> Reseller:
    """Idempotent: a disabled reseller stays as it is, with no new audit row."""
    reseller = _for_update(session, operator_id, reseller_id)
    if reseller.disabled_at is None:
        reseller.disabled_at = now
        revoked = repository.revoke_keys(session, reseller.id, now=now)
        _record(
            session,
            reseller,
            actor=actor,
            action="reseller.disabled",
            now=now,
            changes={"api_keys_revoked": revoked},
            request_id=request_id,
        )
    return reseller
