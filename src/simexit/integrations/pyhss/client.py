"""The network port (`cases.ports.NetworkGateway`) on an HSS with pyHSS's REST API
(nickvsnetworking/pyhss `services/apiService.py`, the `subscriber` namespace).

* look-up: `GET /subscriber/msisdn/<digits>` gives the subscriber (`subscriber_id`, `imsi`,
  `msisdn`, `enabled`, ...); pyHSS stores MSISDNs as digits, without E.164's `+`;
* bar (`bar_outgoing`) and termination (`deactivate`): `PATCH /subscriber/<id>` with
  `{"enabled": false}` (pyHSS then tears down the subscriber's live sessions);
* resumption and reactivation (`reactivate`): the same with `{"enabled": true}`;
* release of the number after quarantine (`remove`): disabled first if it is not, then
  `DELETE /subscriber/<id>`. simexit never deletes an enabled subscriber.

Every operation is idempotent: the PATCH sets the value the line should have, and a subscriber
already gone counts as deleted. When pyHSS runs with `lock_provisioning`, writes carry the
`Provisioning-Key` header (`provisioning_key_env` in the gateways file). One short HTTP
exchange per request, bound by `timeout_seconds`, kept well under the job lease.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr

from simexit.cases.ports import GatewayError
from simexit.operators.gateways import AdapterOptions


class PyHssOptions(AdapterOptions):
    base_url: str = Field(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    timeout_seconds: Annotated[float, Field(gt=0, le=20)] = 5.0
    provisioning_key: SecretStr | None = None
    ca_file: str | None = None


class SubscriberUnknown(GatewayError):
    def __init__(self, msisdn: str) -> None:
        super().__init__(f"pyHSS: no subscriber with MSISDN {msisdn}", retryable=False)


def hss_msisdn(msisdn: str) -> str:
    """E.164 as pyHSS stores it: digits only."""
    digits = msisdn.removeprefix("+")
    if not digits.isdigit():
        raise GatewayError(f"pyHSS: {msisdn!r} is not an E.164 number", retryable=False)
    return digits


class PyHssClient:
    def __init__(self, options: PyHssOptions, *, client: httpx.Client | None = None) -> None:
        self.options = options
        headers = {"accept": "application/json"}
        if options.provisioning_key is not None:
            headers["provisioning-key"] = options.provisioning_key.get_secret_value()
        self._client = client or httpx.Client(
            base_url=options.base_url.rstrip("/"),
            timeout=options.timeout_seconds,
            follow_redirects=False,
            headers=headers,
            verify=options.ca_file or True,
        )

    # -- the port ------------------------------------------------------------------------------

    def bar_outgoing(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        self._set_enabled(msisdn, enabled=False, absent_ok=False)

    def deactivate(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        # A subscriber the HSS does not have cannot be served: the end state already holds.
        self._set_enabled(msisdn, enabled=False, absent_ok=True)

    def reactivate(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002
    ) -> None:
        self._set_enabled(msisdn, enabled=True, absent_ok=False)

    def remove(
        self,
        *,
        imsi: str | None,  # noqa: ARG002
        msisdn: str,
        call_id: str | None = None,  # noqa: ARG002 - read from the HSS
    ) -> None:
        found = self.subscriber(msisdn)
        if found is None:
            return  # already gone: deleting is idempotent
        subscriber_id = found["subscriber_id"]
        if found.get("enabled") is not False:
            self._request("PATCH", f"/subscriber/{subscriber_id}", json={"enabled": False})
        self._request("DELETE", f"/subscriber/{subscriber_id}", missing_ok=True)

    # -- reads ---------------------------------------------------------------------------------

    def subscriber(self, msisdn: str) -> dict[str, Any] | None:
        """pyHSS's subscriber record for the number, or None when it has none."""
        number = hss_msisdn(msisdn)
        return self._request("GET", f"/subscriber/msisdn/{number}", missing_ok=True)

    # -- plumbing ------------------------------------------------------------------------------

    def _set_enabled(self, msisdn: str, *, enabled: bool, absent_ok: bool) -> None:
        found = self.subscriber(msisdn)
        if found is None:
            if absent_ok:
                return
            raise SubscriberUnknown(msisdn)
        if found.get("enabled") is enabled:
            return  # already so: nothing to tear down or bring up again
        path = f"/subscriber/{found['subscriber_id']}"
        changed = self._request("PATCH", path, json={"enabled": enabled}, missing_ok=True)
        if changed is None and not absent_ok:  # deleted between the look-up and the change
            raise SubscriberUnknown(msisdn)

    def _request(
        self, method: str, path: str, *, json: Any = None, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        options = self.options
        try:
            response = self._client.request(method, path, json=json)
        except httpx.TransportError as error:
            raise GatewayError(
                f"pyHSS at {options.base_url} unreachable during {method} {path}: "
                f"{type(error).__name__}: {error}"
            ) from None
        if response.status_code == 404 and missing_ok:
            return None
        body = _json(response)
        if response.status_code >= 400 or (
            isinstance(body, dict) and body.get("result") == "Failed"
        ):
            reason = body.get("reason") or body.get("Result") if isinstance(body, dict) else None
            raise GatewayError(
                f"pyHSS refused {method} {path}: HTTP {response.status_code}"
                + (f": {reason}" if reason else ""),
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        if not isinstance(body, dict):
            raise GatewayError(
                f"pyHSS answered {method} {path} with no JSON object", retryable=False
            )
        return body


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
