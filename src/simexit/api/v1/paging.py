"""Cursors for lists ordered by a time and an id: `<microseconds since the epoch, 16 digits>-
<id as 32 hex digits>`. Every string of this form is a valid position, so the contract's pattern
is the whole rule (as for cases' cursors)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

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
