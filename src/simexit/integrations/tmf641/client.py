"""The OSS port (`cases.ports.OssGateway`) on a TM Forum TMF641 Service Ordering API v4.

`submit_service_order` sends `POST <base_url>/serviceOrder` with a `ServiceOrder_Create`: the
order's `externalId` (simexit's id for it), `requestedCompletionDate`, and one
`serviceOrderItem` whose `action` is `delete` (a termination), `modify` (a suspension or
resumption) or `add`, acting on `service.id` (the operator's id for the line's service). The
answer's `id` is the OSS's order id.

TMF641 has no idempotency key, so the order's `externalId` is one: before it posts, the client
asks `GET /serviceOrder?externalId=<id>` (TMF630 attribute filtering) and answers with the
order the OSS already has, so a retry after a lost answer orders nothing twice. An order the
OSS ended without doing it (`failed`, `rejected`, `cancelled`, `partial`) does not count: a
retry after one (an agent's, once the OSS is fixed) places a new order with the same
`externalId`. A bearer `token` (given as `token_env` in the gateways file) is sent when set.

`settle` reads an order until the OSS ends it (`GET /serviceOrder/<id>`, TMF641's order
states `acknowledged` → `inProgress` → `completed` or `failed`), for at most a given time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, Final

import httpx
from pydantic import Field, SecretStr

from simexit.cases.ports import GatewayError, ServiceOrder
from simexit.operators.gateways import AdapterOptions


class Tmf641Options(AdapterOptions):
    base_url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    timeout_seconds: Annotated[float, Field(gt=0, le=20)] = 5.0
    token: SecretStr | None = None
    ca_file: str | None = None


# TMF641 v4 `ServiceOrderStateType`: the OSS did the order; it ended without doing it.
COMPLETED: Final = frozenset({"completed"})
UNDONE: Final = frozenset({"failed", "rejected", "cancelled", "partial"})


def order_body(order: ServiceOrder) -> dict[str, Any]:
    service: dict[str, Any] = {"id": order.service_ref, "@type": "Service"}
    if order.service_state is not None:
        service["state"] = order.service_state
    body: dict[str, Any] = {
        "externalId": order.external_id,
        "serviceOrderItem": [
            {
                "id": "1",
                "action": order.action,
                "service": service,
                "@type": "ServiceOrderItem",
            }
        ],
        "@type": "ServiceOrder",
    }
    if order.requested_completion is not None:
        body["requestedCompletionDate"] = f"{order.requested_completion.isoformat()}T00:00:00Z"
    return body


class Tmf641Client:
    def __init__(self, options: Tmf641Options, *, client: httpx.Client | None = None) -> None:
        self.options = options
        headers = {"accept": "application/json"}
        if options.token is not None:
            headers["authorization"] = f"Bearer {options.token.get_secret_value()}"
        self._client = client or httpx.Client(
            base_url=options.base_url.rstrip("/"),
            timeout=options.timeout_seconds,
            follow_redirects=False,
            headers=headers,
            verify=options.ca_file or True,
        )

    def submit_service_order(self, order: ServiceOrder) -> str:
        placed = self.place(order)
        if placed.get("state") == "rejected":
            raise GatewayError(
                f"TMF641 order {_order_id(placed)} rejected: {order_error(placed)}",
                retryable=False,
            )
        return _order_id(placed)

    def place(self, order: ServiceOrder) -> dict[str, Any]:
        """The OSS's order for `order.external_id`: the one it has (not ended undone), else a
        new one."""
        known = self._request("GET", "/serviceOrder", params={"externalId": order.external_id})
        if isinstance(known, list):
            mine = [
                o
                for o in known
                if isinstance(o, dict)
                and o.get("externalId") == order.external_id
                and o.get("state") not in UNDONE
            ]
            if mine:
                return mine[-1]
        created = self._request("POST", "/serviceOrder", json=order_body(order))
        if not isinstance(created, dict):
            raise GatewayError("TMF641: the created order is not a JSON object", retryable=False)
        return created

    def order(self, order_id: str) -> dict[str, Any]:
        found = self._request("GET", f"/serviceOrder/{order_id}")
        if not isinstance(found, dict):
            raise GatewayError(f"TMF641: order {order_id} is not a JSON object", retryable=False)
        return found

    def settle(
        self,
        placed: dict[str, Any],
        *,
        wait_seconds: float,
        poll_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> dict[str, Any]:
        """The order once the OSS completed it. `GatewayError` when it ended undone (not
        retryable; the OSS's reason in the message) or is still open after `wait_seconds`
        (retryable: the next try finds the same order by its `externalId` and reads it again)."""
        order_id = _order_id(placed)
        deadline = clock() + wait_seconds
        current = placed
        while True:
            state = current.get("state")
            if state in COMPLETED:
                return current
            if state in UNDONE:
                raise GatewayError(
                    f"TMF641 order {order_id} {state}: {order_error(current)}", retryable=False
                )
            if clock() >= deadline:
                raise GatewayError(
                    f"TMF641 order {order_id} still {state or 'without a state'} "
                    f"after {wait_seconds:g} s"
                )
            sleep(poll_seconds)
            current = self.order(order_id)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise GatewayError(
                f"TMF641 OSS at {self.options.base_url} unreachable during {method} {path}: "
                f"{type(error).__name__}: {error}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            said = [body.get(k) for k in ("reason", "message")] if isinstance(body, dict) else []
            reason = ": ".join(str(part) for part in said if part)
            raise GatewayError(
                f"TMF641 OSS refused {method} {path}: HTTP {response.status_code}"
                + (f": {reason}" if reason else ""),
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        return body


def order_error(order: dict[str, Any]) -> str:
    """What the OSS said about an order it did not do: v4.1's `errorMessage` (also on its
    items), else v4.0's `note` texts."""
    said: list[str] = []
    items = [i for i in order.get("serviceOrderItem") or [] if isinstance(i, dict)]
    for holder in (order, *items):
        for message in holder.get("errorMessage") or []:
            if isinstance(message, dict):
                parts = [str(message[k]) for k in ("code", "reason", "message") if message.get(k)]
                said.append(" ".join(parts))
    if not said:
        said = [
            str(n["text"]) for n in order.get("note") or [] if isinstance(n, dict) and n.get("text")
        ]
    return "; ".join(said) or "no reason given"


def _order_id(order: dict[str, Any]) -> str:
    found = order.get("id")
    if not isinstance(found, str) or not found:
        raise GatewayError("TMF641: an order without an id", retryable=False)
    return found
