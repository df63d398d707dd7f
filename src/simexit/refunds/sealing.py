"""Refund destinations stored encrypted with `simexit.kit.sealing` under their own label.

Each sealed value binds the payout's (or batch's) id as associated data. Erasure overwrites the
stored text; there is nothing else to forget.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from simexit.kit.sealing import BytesSealer
from simexit.kit.sealing import Unreadable as UnreadableDestination
from simexit.refunds.destinations import Destination

__all__ = ["Sealer", "UnreadableDestination"]

_LABEL = b"simexit refund destination v1"


@dataclass(frozen=True)
class Sealer(BytesSealer):
    label: bytes = field(default=_LABEL)

    def seal(self, destination: Destination, *, bound_to: str) -> str:
        plain = json.dumps(destination.as_dict(), sort_keys=True).encode()
        return self.seal_bytes(plain, bound_to=bound_to)

    def open(self, text: str, *, bound_to: str) -> Destination:
        return Destination.from_dict(json.loads(self.open_bytes(text, bound_to=bound_to)))
