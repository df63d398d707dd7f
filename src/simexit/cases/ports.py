"""What ending a line needs from systems outside simexit. Adapters live in `integrations/`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class GatewayError(Exception):
    """A remote system refused or failed; `retryable` tells whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class NetworkGateway(Protocol):
    """The HSS/HLR: bar a subscriber's services and remove it from the network."""

    def bar_outgoing(self, *, imsi: str | None, msisdn: str) -> None: ...

    def deactivate(self, *, imsi: str | None, msisdn: str) -> None: ...

    def reactivate(self, *, imsi: str | None, msisdn: str) -> None: ...


class EsimGateway(Protocol):
    """The SM-DP+ (GSMA SGP.22 ES2+): make the profile of a cancelled line unusable."""

    def cancel_order(self, *, iccid: str, eid: str | None, matching_id: str | None) -> None: ...


class BillingGateway(Protocol):
    def close_account(self, *, line_ref: str, billing_end: date | None) -> None: ...


@dataclass(frozen=True, slots=True)
class Gateways:
    network: NetworkGateway
    esim: EsimGateway
    billing: BillingGateway
