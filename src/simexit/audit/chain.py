"""Hashing of audit events. Pure: the same fields always give the same hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    operator_id: str,
    at: datetime,
    actor_type: str,
    actor_id: str,
    action: str,
    subject_type: str,
    subject_id: str,
    changes: dict[str, Any],
    note: str | None,
) -> str:
    body = canonical(
        {
            "prev": prev_hash,
            "seq": seq,
            "operator": operator_id,
            "at": at.isoformat(timespec="microseconds"),
            "actor": [actor_type, actor_id],
            "action": action,
            "subject": [subject_type, subject_id],
            "changes": changes,
            "note": note,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()
