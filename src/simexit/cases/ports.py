"""What executing a case needs from systems outside simexit. Adapters live in `integrations/`.

Each operator has its own set (`Gateways`), chosen by configuration at the edge
(`SIMEXIT_GATEWAYS_FILE`, see `simexit.operators.gateways`); the job handlers ask a
`GatewaysByOperator` for the set of the case's operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from simexit.errors import GatewayError
from simexit.refunds.ports import PaymentGateway
from simexit.verification.ports import IdentityProvider


class NetworkGateway(Protocol):
    """The HSS/HLR: bar a subscriber's services and remove it from the network.

    `bar_outgoing` bars (a suspension, the first step of a termination); `deactivate` ends
    service at the termination's date; `reactivate` lifts both; `remove` deletes the subscriber
    when the number leaves quarantine. Each is idempotent."""

    def bar_outgoing(self, *, imsi: str | None, msisdn: str) -> None: ...

    def deactivate(self, *, imsi: str | None, msisdn: str) -> None: ...

    def reactivate(self, *, imsi: str | None, msisdn: str) -> None: ...

    def remove(self, *, imsi: str | None, msisdn: str) -> None: ...


class EsimGateway(Protocol):
    """The SM-DP+ (GSMA SGP.22 ES2+): make the profile of a cancelled line unusable."""

    def cancel_order(self, *, iccid: str, eid: str | None, matching_id: str | None) -> None: ...


class BillingGateway(Protocol):
    def close_account(self, *, line_ref: str, billing_end: date | None) -> None: ...


ServiceOrderAction = Literal["add", "modify", "delete"]  # TMF641 orderItem actions simexit uses


@dataclass(frozen=True, slots=True)
class ServiceOrder:
    """A TMF641-shaped service order: one item acting on one of the line's services.

    `external_id` is simexit's id for the order and stays the same on a retry, so an OSS that
    already has it answers with the order it made the first time."""

    external_id: str
    action: ServiceOrderAction
    service_ref: str  # the operator's id for the service (the line's reference)
    requested_completion: date | None = None


class OssGateway(Protocol):
    """The operator's OSS (service order management): the answer is the OSS's order id."""

    def submit_service_order(self, order: ServiceOrder) -> str: ...


@dataclass(frozen=True, slots=True)
class Gateways:
    """One operator's systems. Case execution uses network, esim and billing today; OSS orders,
    payouts and eID checks are there for the steps that will call them."""

    network: NetworkGateway
    esim: EsimGateway
    oss: OssGateway
    billing: BillingGateway
    payments: PaymentGateway
    identity: IdentityProvider


class GatewaysByOperator(Protocol):
    """The gateways of each operator, by operator code (built once per process at the edge)."""

    def for_operator(self, operator_code: str) -> Gateways: ...


__all__ = [
    "BillingGateway",
    "EsimGateway",
    "GatewayError",
    "Gateways",
    "GatewaysByOperator",
    "NetworkGateway",
    "OssGateway",
    "ServiceOrder",
    "ServiceOrderAction",
]
