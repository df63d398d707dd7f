"""What the admin endpoints (staff, resellers, webhook endpoints) share: the caller's operator
once the admin scope is checked, and cursor pages newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from simexit.access.scopes import ScopeRequired, require_admin
from simexit.api.v1 import paging
from simexit.api.v1.paging import CURSOR_PATTERN
from simexit.paging import After
from simexit.principals import Actor

Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The `next_cursor` of the page before.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    ),
]
Limit = Annotated[int, Query(ge=1, le=100)]


def admin_operator(actor: Actor) -> uuid.UUID:
    """The operator whose set-up the caller changes; 403 scope_required without the admin scope."""
    require_admin(actor)
    if actor.operator_id is None:  # no API caller is platform-wide; refuse rather than guess
        raise ScopeRequired("this needs an operator's API key or sign-in", field="authorization")
    return actor.operator_id


def decode_cursor(cursor: str | None) -> After | None:
    return paging.decode_cursor(cursor) if cursor else None
