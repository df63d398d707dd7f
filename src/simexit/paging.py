"""Cursor pages, newest first: the position is the last row's (created_at, id).

Stable under inserts (a new row lands before the first page, never inside one), and the same
shape everywhere a list is paged, so the API writes and reads one cursor format."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

After = tuple[datetime, uuid.UUID]


def newest_first(
    statement: Select[Any],
    created: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    *,
    after: After | None,
    limit: int,
) -> Select[Any]:
    if after is not None:
        at, last_id = after
        statement = statement.where(or_(created < at, and_(created == at, row_id < last_id)))
    return statement.order_by(created.desc(), row_id.desc()).limit(limit)
