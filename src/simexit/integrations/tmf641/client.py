"""The OSS port (`cases.ports.OssGateway`) on a TM Forum TMF641 Service Ordering API v4.

`submit_service_order` sends `POST <base_url>/serviceOrder` with a `ServiceOrder_Create`: the
order's `externalId` (simexit's id for it), `requestedCompletionDate`, and one
`serviceOrderItem` whose `action` is `delete` (a termination), `modify` (a suspension or
resumption) or `add`, acting on `service.id` (the operator's id for the line's service). The
answer's `id` is the OSS's order id.

TMF641 has no idempotency key, so the order's `externalId` is one: before it posts, the client
asks `GET /serviceOrder?externalId=<id>` (TMF630 attribute filtering) and answers with the
order the OSS already has, so a retry after a lost answer orders nothing twice. A bearer
`token` (given as `token_env` in the gateways file) is sent when set.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr

from simexit.cases.ports import GatewayError, ServiceOrder
from simexit.operators.gateways import AdapterOptions


class Tmf641Options(AdapterOptions):
    base_url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    timeout_seconds: Annotated[float, Field(gt=0, le=20)] = 5.0
    token: SecretStr | None = None
    ca_file: str | None = None


def order_body(order: ServiceOrder) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalId": order.external_id,
        "serviceOrderItem": [
            {
                "id": "1",
                "action": order.action,
                "service": {"id": order.service_ref, "@type": "Service"},
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
        known = self._request("GET", "/serviceOrder", params={"externalId": order.external_id})
        if isinstance(known, list):
            for existing in known:
                if isinstance(existing, dict) and existing.get("externalId") == order.external_id:
                    return _order_id(existing)
        created = self._request("POST", "/serviceOrder", json=order_body(order))
        if not isinstance(created, dict):
            raise GatewayError("TMF641: the created order is not a JSON object", retryable=False)
        if created.get("state") == "rejected":
            raise GatewayError(f"TMF641 order {_order_id(created)} rejected", retryable=False)
        return _order_id(created)

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
            reason = body.get("reason") or body.get("message") if isinstance(body, dict) else None
            raise GatewayError(
                f"TMF641 OSS refused {method} {path}: HTTP {response.status_code}"
                + (f": {reason}" if reason else ""),
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        return body


def _order_id(order: dict[str, Any]) -> str:
    found = order.get("id")
    if not isinstance(found, str) or not found:
        raise GatewayError("TMF641: an order without an id", retryable=False)
    return found
