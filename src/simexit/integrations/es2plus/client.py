"""The eSIM port (`cases.ports.EsimGateway`) on an SM-DP+, through GSMA SGP.22 ES2+ (§5.3).

Every function is an HTTPS POST of JSON to `<base_url>/gsma/rsp2/es2plus/<function>` with the
`X-Admin-Protocol: gsma/rsp/v2.<x>.<y>` header (SGP.22 §6.5). The request's `header` carries the
operator's `functionRequesterIdentifier` and a `functionCallIdentifier` the caller derives from
the teardown step, so the same step sends the same identifier on every try: an SM-DP+ that
executed a call whose answer was lost recognises the repeat. Every answer's
`header.functionExecutionStatus` is read: `Executed-Success` (or `-WithWarning`) is done,
`Failed` raises `Es2PlusFailed` with the subject and reason codes and the SM-DP+'s message.

* termination of a profile not yet downloaded: `CancelOrder` with the ICCID, EID and matching
  ID simexit knows, and `finalProfileStatusIndicator` (`Unavailable` unless the operator's
  gateways file says `Available`, which lets the SM-DP+ reuse the profile);
* reactivation of an eSIM line: `DownloadOrder` (a profile of the configured `profile_type`,
  bound to the EID when known) then `ConfirmOrder` with `releaseFlag` true, giving the matching
  ID and SM-DP+ address the subscriber needs to download it.

Mutual TLS (SGP.22 §2.6.6): `ca_file` is the CA that signed the SM-DP+'s certificate (the system
store when unset); `client_cert_file`/`client_key_file` are the operator's certificate and key.
One short HTTP exchange per function, bound by `timeout_seconds`, kept under the job lease.
"""

from __future__ import annotations

import json
import ssl
from typing import Annotated, Any, Final, Literal

import httpx
from pydantic import Field, model_validator

from simexit.cases.ports import GatewayError, NewProfile
from simexit.integrations.es2plus.status import execution_status, raise_for_status
from simexit.operators.gateways import AdapterOptions

PATH: Final = "/gsma/rsp2/es2plus/"
ADMIN_PROTOCOL: Final = "gsma/rsp/v2.2.0"
FUNCTIONS: Final = {
    "DownloadOrder": "downloadOrder",
    "ConfirmOrder": "confirmOrder",
    "CancelOrder": "cancelOrder",
    "ReleaseProfile": "releaseProfile",
}


class Es2PlusOptions(AdapterOptions):
    base_url: str = Field(pattern=r"^https://[^\s/?#]+(/[^\s?#]*)?$")
    requester_id: str = Field(min_length=1, max_length=200)
    admin_protocol: str = Field(default=ADMIN_PROTOCOL, pattern=r"^gsma/rsp/v2\.\d+\.\d+$")
    final_profile_status: Literal["Available", "Unavailable"] = "Unavailable"
    profile_type: str | None = Field(default=None, min_length=1, max_length=100)
    timeout_seconds: Annotated[float, Field(gt=0, le=20)] = 5.0
    ca_file: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None

    @model_validator(mode="after")
    def _pair(self) -> Es2PlusOptions:
        if (self.client_cert_file is None) != (self.client_key_file is None):
            raise ValueError("client_cert_file and client_key_file go together")
        return self


class Es2PlusClient:
    def __init__(self, options: Es2PlusOptions, *, client: httpx.Client | None = None) -> None:
        self.options = options
        self._client = client or httpx.Client(
            timeout=options.timeout_seconds, follow_redirects=False, verify=_tls(options)
        )

    # -- the port ------------------------------------------------------------------------------

    def cancel_order(
        self, *, iccid: str, eid: str | None, matching_id: str | None, call_id: str
    ) -> None:
        body: dict[str, Any] = {
            "iccid": iccid,
            "finalProfileStatusIndicator": self.options.final_profile_status,
        }
        if eid:
            body["eid"] = eid
        if matching_id:
            body["matchingId"] = matching_id
        self.call("CancelOrder", body, call_id=call_id)

    def order_profile(self, *, eid: str | None, call_id: str) -> NewProfile:
        if self.options.profile_type is None:
            raise GatewayError(
                "ES2+: no profile_type configured for new profiles (gateways file)",
                retryable=False,
            )
        order: dict[str, Any] = {"profileType": self.options.profile_type}
        if eid:
            order["eid"] = eid
        ordered = self.call("DownloadOrder", order, call_id=f"{call_id}.download")
        iccid = ordered.get("iccid")
        if not isinstance(iccid, str):
            raise GatewayError("ES2+ DownloadOrder answered without an iccid", retryable=False)
        confirm: dict[str, Any] = {"iccid": iccid, "releaseFlag": True}
        if eid:
            confirm["eid"] = eid
        confirmed = self.call("ConfirmOrder", confirm, call_id=f"{call_id}.confirm")
        return NewProfile(
            iccid=iccid,
            matching_id=_str(confirmed.get("matchingId")),
            smdp_address=_str(confirmed.get("smdpAddress")),
        )

    # -- plumbing ------------------------------------------------------------------------------

    def call(self, function: str, body: dict[str, Any], *, call_id: str) -> dict[str, Any]:
        """One ES2+ function; the answer's body once its status says executed."""
        options = self.options
        payload = {
            "header": {
                "functionRequesterIdentifier": options.requester_id,
                "functionCallIdentifier": call_id,
            },
            **body,
        }
        url = options.base_url.rstrip("/") + PATH + FUNCTIONS[function]
        try:
            response = self._client.post(
                url,
                content=json.dumps(payload, separators=(",", ":")),
                headers={
                    "content-type": "application/json;charset=UTF-8",
                    "accept": "application/json",
                    "x-admin-protocol": options.admin_protocol,
                },
            )
        except httpx.TransportError as error:
            raise GatewayError(
                f"SM-DP+ at {options.base_url} unreachable during ES2+ {function}: "
                f"{type(error).__name__}: {error}"
            ) from None
        return _answer(function, response)


def _answer(function: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = execution_status(body)
    if status is None:
        # Not an ES2+ answer: a proxy's error page, an overloaded server.
        raise GatewayError(
            f"SM-DP+ answered ES2+ {function} with HTTP {response.status_code} and no "
            "functionExecutionStatus",
            retryable=response.status_code >= 500 or response.status_code == 429,
        )
    raise_for_status(function, status)
    assert isinstance(body, dict)  # noqa: S101 - execution_status read a header from it
    return body


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _tls(options: Es2PlusOptions) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=options.ca_file)
    if options.client_cert_file and options.client_key_file:
        context.load_cert_chain(options.client_cert_file, options.client_key_file)
    return context
