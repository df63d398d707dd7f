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
    when the number leaves quarantine. Each is idempotent.

    `call_id` is the same on every try of one teardown step (`teardown.call_id`), so a peer
    whose interface has no idempotent "set the state" (an OSS taking TMF641 orders) recognises
    a repeat; None where the change is idempotent by itself (a flag sync sets the wanted state).
    Adapters whose operations are idempotent by their interface ignore it."""

    def bar_outgoing(
        self, *, imsi: str | None, msisdn: str, call_id: str | None = None
    ) -> None: ...

    def deactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None: ...

    def reactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None: ...

    def remove(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None: ...


class ProfileNotCancellable(GatewayError):
    """The SM-DP+ refused to cancel the order for the profile's state: the profile was downloaded
    or installed on a device, or is final already (SGP.22 §5.3.4, 8.2.1 / 3.8). Nothing the
    SM-DP+ can do stops it; the network side ends the service."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:  # noqa: ARG002
        super().__init__(message, retryable=False)  # trying again cannot change the state


@dataclass(frozen=True, slots=True)
class NewProfile:
    """A profile ordered and released for download (SGP.22 ES2+ DownloadOrder + ConfirmOrder):
    the subscriber downloads it with the matching ID from the SM-DP+ address."""

    iccid: str
    matching_id: str | None
    smdp_address: str | None


class EsimGateway(Protocol):
    """The SM-DP+ (GSMA SGP.22 ES2+).

    `cancel_order` makes the profile of a cancelled line unusable while it is not yet downloaded;
    for a profile already downloaded or installed it raises `ProfileNotCancellable`. `order_profile` orders a new profile for a reactivated line.
    `call_id` is the same on every try of one step, so the SM-DP+ recognises a repeat."""

    def cancel_order(
        self, *, iccid: str, eid: str | None, matching_id: str | None, call_id: str
    ) -> None: ...

    def order_profile(self, *, eid: str | None, call_id: str) -> NewProfile: ...


class BillingGateway(Protocol):
    """The operator's billing: close the line's account with its final bill. `call_id` is the
    same on every try of the step, so a billing system that took a close whose answer was lost
    recognises the repeat; adapters whose close is idempotent by itself ignore it."""

    def close_account(
        self, *, line_ref: str, billing_end: date | None, call_id: str | None = None
    ) -> None: ...


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
    # The service's state the order asks for (TMF638 `ServiceStateType`): `inactive` bars a
    # `modify`, `active` lifts it; None leaves the service's state out of the order.
    service_state: str | None = None


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
    "NewProfile",
    "OssGateway",
    "ProfileNotCancellable",
    "ServiceOrder",
    "ServiceOrderAction",
]
