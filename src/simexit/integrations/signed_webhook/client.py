"""The network port (`cases.ports.NetworkGateway`) and the billing port
(`cases.ports.BillingGateway`) as signed webhooks, for billing close and for any system that
has neither a TMF641 OSS nor an HLR/HSS API: the operator points the URL at whatever it runs.

Each call is one `POST <url>` with the JSON body

    {"type": "<port>.<operation>", "call_id": "...", "data": {...the line's identifiers...}}

`type` is one of `network.bar_outgoing`, `network.deactivate`, `network.reactivate`,
`network.remove` (`data`: `msisdn`, `imsi`) and `billing.close_account` (`data`: `line_ref`,
`billing_end` as an ISO date or null). The request is signed per Standard Webhooks
(`simexit.kit.standard_webhooks`, the same signing as simexit's event webhooks) with the
`whsec_...` secret named by `secret_env`: headers `webhook-id`, `webhook-timestamp`,
`webhook-signature`.

The acknowledgement is synchronous: the call counts as done only when the receiver answers 2xx.
`webhook-id` is the call id (`teardown.call_id`, the same on every try of a step), so a receiver
that did the work but whose answer was lost sees the repeat under the same id and answers 2xx
again without doing it twice. A flag sync has no call id (setting a state twice is harmless);
its call gets a fresh one. Any other 4xx (a refused signature among them) is a permanent
failure naming the receiver's answer; 408, 429, 5xx, a timeout or no connection are retryable.
No redirects are followed: a signed call goes to the configured URL or nowhere. One exchange,
bounded by `timeout_seconds` (at most 20 s, well under the job lease).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import date
from typing import Annotated, Any

import httpx
from pydantic import Field, SecretStr, field_validator

from simexit.cases.ports import GatewayError
from simexit.kit.standard_webhooks import SECRET_PREFIX, signed_headers, signing_key
from simexit.operators.gateways import AdapterOptions
from simexit.webhooks.rules import url_rule_broken

_ANSWER_SHOWN = 200  # characters of the receiver's answer kept in the error


class SignedWebhookOptions(AdapterOptions):
    url: str
    secret: SecretStr
    timeout_seconds: Annotated[float, Field(gt=0, le=20)] = 5.0
    ca_file: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        broken = url_rule_broken(url, allow_loopback_http=True)
        if broken is not None:
            raise ValueError(
                f"must be an https:// URL (http:// only for localhost or 127.0.0.1), "
                f"without credentials or fragment ({broken})"
            )
        return url

    @field_validator("secret")
    @classmethod
    def _whsec(cls, secret: SecretStr) -> SecretStr:
        value = secret.get_secret_value()
        try:
            key = signing_key(value)
        except ValueError:
            key = b""
        if not value.startswith(SECRET_PREFIX) or len(key) < 24:
            raise ValueError(
                f"must be a Standard Webhooks secret: {SECRET_PREFIX} then at least 24 bytes "
                "in base64"
            )
        return secret


class SignedWebhook:
    """Both ports on one receiver; the registry builds one per operator and port."""

    def __init__(
        self, options: SignedWebhookOptions, *, client: httpx.Client | None = None
    ) -> None:
        self.options = options
        self._client = client or httpx.Client(
            timeout=options.timeout_seconds,
            follow_redirects=False,
            verify=options.ca_file or True,
        )

    # -- the network port ----------------------------------------------------------------------

    def bar_outgoing(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.send("network.bar_outgoing", call_id, {"msisdn": msisdn, "imsi": imsi})

    def deactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.send("network.deactivate", call_id, {"msisdn": msisdn, "imsi": imsi})

    def reactivate(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.send("network.reactivate", call_id, {"msisdn": msisdn, "imsi": imsi})

    def remove(self, *, imsi: str | None, msisdn: str, call_id: str | None = None) -> None:
        self.send("network.remove", call_id, {"msisdn": msisdn, "imsi": imsi})

    # -- the billing port ----------------------------------------------------------------------

    def close_account(
        self, *, line_ref: str, billing_end: date | None, call_id: str | None = None
    ) -> None:
        data = {
            "line_ref": line_ref,
            "billing_end": billing_end.isoformat() if billing_end is not None else None,
        }
        self.send("billing.close_account", call_id, data)

    # -- plumbing ------------------------------------------------------------------------------

    def send(self, event_type: str, call_id: str | None, data: dict[str, Any]) -> None:
        """POST the signed call; return on 2xx, raise `GatewayError` otherwise."""
        message_id = call_id or f"simexit-{uuid.uuid4()}"
        body = json.dumps(
            {"type": event_type, "call_id": message_id, "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
        headers = signed_headers(
            self.options.secret.get_secret_value(),
            message_id=message_id,
            # The signature's time is when it is sent: the wall clock, not a case's test clock.
            timestamp=int(time.time()),
            body=body,
        )
        try:
            response = self._client.post(self.options.url, content=body.encode(), headers=headers)
        except httpx.HTTPError as error:
            raise GatewayError(
                f"webhook {event_type} to {self.options.url}: no answer: "
                f"{type(error).__name__}: {error}"
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        answer = " ".join(response.text.split())[:_ANSWER_SHOWN]
        raise GatewayError(
            f"webhook {event_type} to {self.options.url}: the receiver answered HTTP {status}"
            + (f": {answer}" if answer else ""),
            retryable=status >= 500 or status in {408, 429},
        )
