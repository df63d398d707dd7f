"""The network port (`cases.ports.NetworkGateway`) on an OSS that takes TMF641 service orders,
for operators whose HLR/HSS is provisioned by their OSS rather than by simexit directly.

Each operation is one service order with one `serviceOrderItem` on the line's service
(`service.id`: the line's MSISDN, or its IMSI with `service_id = "imsi"`):

* bar (`bar_outgoing`): `modify`, `service.state` `inactive`;
* termination (`deactivate`): `delete`;
* resumption and reactivation (`reactivate`): `modify`, `service.state` `active`;
* number release (`remove`): nothing; the termination's `delete` ended the service already.

The order's `externalId` is the teardown step's call id (`teardown.call_id`, the same on every
try), so a worker that dies between the call and its commit finds the order it placed on the
next try instead of placing another. A flag sync has no call id; its order gets a fresh one
(setting a state twice is harmless). The order is then read until the OSS completes it, for
at most `completion_wait_seconds`: `failed` (or `rejected`, `cancelled`, `partial`) is the
step's failure with the OSS's reason, not retried; still `acknowledged`/`inProgress` then is
a retryable failure, and the retry reads the same order again. A try takes at most about
`completion_wait_seconds` plus three `timeout_seconds` (25 s with the defaults), under the job
lease (300 s by default).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field

from simexit.cases.ports import GatewayError, ServiceOrder, ServiceOrderAction
from simexit.integrations.tmf641.client import Tmf641Client, Tmf641Options


class Tmf641NetworkOptions(Tmf641Options):
    service_id: Literal["msisdn", "imsi"] = "msisdn"
    completion_wait_seconds: Annotated[float, Field(ge=0, le=60)] = 10.0
    poll_interval_seconds: Annotated[float, Field(gt=0, le=10)] = 1.0


class Tmf641Network:
    def __init__(
        self, options: Tmf641NetworkOptions, *, client: Tmf641Client | None = None
    ) -> None:
        self.options = options
        self.client = client or Tmf641Client(options)

    def bar_outgoing(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self._order("modify", imsi, msisdn, call_id, state="inactive")

    def deactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self._order("delete", imsi, msisdn, call_id)

    def reactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self._order("modify", imsi, msisdn, call_id, state="active")

    def remove(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,  # noqa: ARG002
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        return  # the termination's delete order ended the service

    def _order(
        self,
        action: ServiceOrderAction,
        imsi: str | None,
        msisdn: str,
        call_id: str | None,
        *,
        state: str | None = None,
    ) -> None:
        order = ServiceOrder(
            external_id=call_id or f"simexit-{uuid.uuid4()}",
            action=action,
            service_ref=self._service_id(imsi, msisdn),
            service_state=state,
        )
        placed = self.client.place(order)
        self.client.settle(
            placed,
            wait_seconds=self.options.completion_wait_seconds,
            poll_seconds=self.options.poll_interval_seconds,
        )

    def _service_id(self, imsi: str | None, msisdn: str) -> str:
        if self.options.service_id == "msisdn":
            return msisdn
        if not imsi:
            raise GatewayError(
                f"TMF641: the line {msisdn} has no IMSI for its service id", retryable=False
            )
        return imsi
