"""Cursors for lists ordered by a time and an id: `<microseconds since the epoch, 16 digits>-
<id as 32 hex digits>`. Every string of this form is a valid position, so the contract's pattern
is the whole rule (as for cases' cursors)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from fastapi import Request

from simexit.api.errors import ApiError

CURSOR_PATTERN = "^[0-9]{16}-[0-9a-f]{32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros:016d}-{row_id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise ApiError("the cursor is not valid", code="invalid_cursor", status=422, field="cursor")
    micros, row_id = cursor.split("-")
    return _EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=row_id)


class Paged(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def created_at(self) -> datetime: ...


P = TypeVar("P", bound=Paged)


def page_of(
    request: Request, rows: Sequence[P], limit: int
) -> tuple[Sequence[P], str | None, str | None]:
    """The page (rows were fetched with `limit + 1`, newest first by creation), its next cursor
    and next URL."""
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    return page, next_cursor, next_url
