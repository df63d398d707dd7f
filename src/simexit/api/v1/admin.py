"""What the admin endpoints (staff, resellers, webhook endpoints) share: the caller's operator
once the admin scope is checked, and cursor pages newest first."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final, Protocol, TypeVar

from fastapi import Query, Request

from simexit.access.scopes import ScopeRequired, require_admin
from simexit.api.errors import ApiError
from simexit.paging import After
from simexit.principals import Actor

# The last item's creation time (microseconds since the epoch, 16 digits) and id, as for cases:
# every string of this form is a valid position, so the pattern is the whole rule.
CURSOR_PATTERN: Final = "^[0-9]{16}-[0-9a-f]{32}$"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The `next_cursor` of the page before.",
        json_schema_extra={"pattern": CURSOR_PATTERN},
    ),
]
Limit = Annotated[int, Query(ge=1, le=100)]


class Paged(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def created_at(self) -> datetime: ...


P = TypeVar("P", bound=Paged)


def admin_operator(actor: Actor) -> uuid.UUID:
    """The operator whose set-up the caller changes; 403 scope_required without the admin scope."""
    require_admin(actor)
    if actor.operator_id is None:  # no API caller is platform-wide; refuse rather than guess
        raise ScopeRequired("this needs an operator's API key or sign-in", field="authorization")
    return actor.operator_id


def encode_cursor(item: Paged) -> str:
    micros = (item.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:016d}-{item.id.hex}"


def decode_cursor(cursor: str | None) -> After | None:
    if not cursor:
        return None
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise ApiError("the cursor is not valid", code="invalid_cursor", status=422, field="cursor")
    micros, item_id = cursor.split("-")
    return _EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=item_id)


def page_of(
    request: Request, rows: Sequence[P], limit: int
) -> tuple[Sequence[P], str | None, str | None]:
    """The page (rows were fetched with `limit + 1`), its next cursor and next URL."""
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1]) if more else None
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return page, next_cursor, next_url
