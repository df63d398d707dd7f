"""Hashing of audit events. Pure: the same fields always give the same hash.

`content_hash` is written with the event; `event_hash` is its link in the chain, computed by the
sealer over the previous link, the event's place and the same content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class EventContent:
    """What an event says, as hashed: everything but its place in the chain."""

    operator_id: str
    at: datetime
    actor_type: str
    actor_id: str
    action: str
    subject_type: str
    subject_id: str
    changes: dict[str, Any]
    note: str | None

    def fields(self) -> dict[str, Any]:
        return {
            "operator": self.operator_id,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": [self.actor_type, self.actor_id],
            "action": self.action,
            "subject": [self.subject_type, self.subject_id],
            "changes": self.changes,
            "note": self.note,
        }


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()


def content_hash(content: EventContent) -> str:
    """Fixes the content between the change's commit and the seal."""
    return _sha256(content.fields())


def event_hash(*, prev_hash: str, seq: int, content: EventContent) -> str:
    """The event's link: the same body the chain has always hashed, so old links still verify."""
    return _sha256({"prev": prev_hash, "seq": seq, **content.fields()})
