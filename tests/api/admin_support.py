"""What the admin endpoint tests share: a `cases`-scoped key and the audit rows of one action."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from simexit.access import service as key_service
from simexit.models import AuditEvent
from simexit.principals import Actor, ActorType
from simexit.runtime import Runtime
from tests.api.conftest import NOW


def cases_key(runtime: Runtime, operator_code: str = "telenor-no") -> dict[str, str]:
    """An operator-level key with the `cases` scope only: no admin."""
    with runtime.db.session() as session:
        created = key_service.create_key(
            session,
            actor=Actor(ActorType.cli, "tests"),
            operator_code=operator_code,
            name="cases only",
            now=NOW,
            scopes=("cases",),
        )
    return {"Authorization": f"Bearer {created.secret}"}


def audit_rows(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.db.read_session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.at)
            )
        )


def field_codes(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in body.get("errors") or []]
