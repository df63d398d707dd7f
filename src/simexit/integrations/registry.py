"""The gateway registry: for each port, the adapters simexit can use, by name.

Adding an adapter is one module in `integrations/` and one entry here, such as
`"osmo-hlr": Adapter(options=OsmoHlrOptions, build=OsmoHlrClient)` under `network`: the gateways
file can then name it, its options are checked at start (`simexit.operators.gateways`), and the
case flows, which only know the ports, need no change.

`GatewayDirectory` builds each operator's set on first use, from the plan the file gave, and keeps
it for the life of the process; each operator gets instances of its own, so two operators on the
same adapter never share its state or connections.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from simexit.cases.ports import (
    BillingGateway,
    EsimGateway,
    Gateways,
    NetworkGateway,
    OssGateway,
)
from simexit.integrations.es2plus.client import Es2PlusClient, Es2PlusOptions
from simexit.integrations.oidc.client import OidcIdentity, OidcOptions
from simexit.integrations.osmo_hlr.client import OsmoHlrClient, OsmoHlrOptions
from simexit.integrations.payments.credit_transfer import (
    CreditTransferOptions,
    CreditTransferPayments,
)
from simexit.integrations.pyhss.client import PyHssClient, PyHssOptions
from simexit.integrations.signed_webhook.client import SignedWebhook, SignedWebhookOptions
from simexit.integrations.simulated import (
    SimulatedBilling,
    SimulatedHss,
    SimulatedIdentity,
    SimulatedOss,
    SimulatedPayments,
    SimulatedSmdp,
)
from simexit.integrations.tmf641.client import Tmf641Client, Tmf641Options
from simexit.integrations.tmf641.network import Tmf641Network, Tmf641NetworkOptions
from simexit.operators.gateways import (
    SIMULATED,
    AdapterChoice,
    AdapterOptions,
    Catalog,
    GatewayPlan,
    NoOptions,
    Port,
)
from simexit.refunds.ports import PaymentGateway
from simexit.verification.ports import IdentityProvider

OptionsT = TypeVar("OptionsT", bound=AdapterOptions)
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Adapter(Generic[OptionsT, T]):
    """An adapter of one port: the model of its options and how to build it from them.
    `simulated` adapters are refused in production for operators not marked sandbox."""

    options: type[OptionsT]
    build: Callable[[OptionsT], T]
    simulated: bool = False


def simulated(factory: Callable[[], T]) -> Adapter[NoOptions, T]:
    return Adapter(options=NoOptions, build=lambda _options: factory(), simulated=True)


@dataclass(frozen=True)
class GatewayRegistry:
    network: Mapping[str, Adapter[Any, NetworkGateway]]
    esim: Mapping[str, Adapter[Any, EsimGateway]]
    oss: Mapping[str, Adapter[Any, OssGateway]]
    billing: Mapping[str, Adapter[Any, BillingGateway]]
    payments: Mapping[str, Adapter[Any, PaymentGateway]]
    identity: Mapping[str, Adapter[Any, IdentityProvider]]

    def catalog(self) -> Catalog:
        """What the gateways file may name, for checking it."""
        return {port: getattr(self, port.value) for port in Port}

    def build(self, ports: Mapping[Port, AdapterChoice]) -> Gateways:
        return Gateways(
            network=_make(self.network, ports[Port.network]),
            esim=_make(self.esim, ports[Port.esim]),
            oss=_make(self.oss, ports[Port.oss]),
            billing=_make(self.billing, ports[Port.billing]),
            payments=_make(self.payments, ports[Port.payments]),
            identity=_make(self.identity, ports[Port.identity]),
        )


def _make(adapters: Mapping[str, Adapter[Any, T]], choice: AdapterChoice) -> T:
    return adapters[choice.adapter].build(choice.options)


REGISTRY = GatewayRegistry(
    network={
        SIMULATED: simulated(SimulatedHss),
        "osmo-hlr": Adapter(options=OsmoHlrOptions, build=OsmoHlrClient),
        "pyhss": Adapter(options=PyHssOptions, build=PyHssClient),
        "tmf641": Adapter(options=Tmf641NetworkOptions, build=Tmf641Network),
        "signed-webhook": Adapter(options=SignedWebhookOptions, build=SignedWebhook),
    },
    esim={
        SIMULATED: simulated(SimulatedSmdp),
        "es2plus": Adapter(options=Es2PlusOptions, build=Es2PlusClient),
    },
    oss={
        SIMULATED: simulated(SimulatedOss),
        "tmf641": Adapter(options=Tmf641Options, build=Tmf641Client),
    },
    billing={
        SIMULATED: simulated(SimulatedBilling),
        "signed-webhook": Adapter(options=SignedWebhookOptions, build=SignedWebhook),
    },
    payments={
        SIMULATED: simulated(SimulatedPayments),
        "pain001": Adapter(options=CreditTransferOptions, build=CreditTransferPayments),
    },
    identity={
        SIMULATED: simulated(SimulatedIdentity),
        "oidc": Adapter(options=OidcOptions, build=OidcIdentity),
    },
)


@dataclass
class GatewayDirectory:
    """Each operator's gateways by operator code (`cases.ports.GatewaysByOperator`), built once
    per process and kept."""

    plan: GatewayPlan
    registry: GatewayRegistry = REGISTRY
    _built: dict[str, Gateways] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def for_operator(self, operator_code: str) -> Gateways:
        with self._lock:
            found = self._built.get(operator_code)
            if found is None:
                ports = self.plan.for_operator(operator_code).ports
                found = self._built[operator_code] = self.registry.build(ports)
            return found
