from __future__ import annotations

from simexit.errors import InvalidInput


class UnknownOffer(InvalidInput):
    code = "retention_offer_unknown"
