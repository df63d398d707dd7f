"""Push notifications: a JSON POST per message to the operator's push service.

The push service (the operator's own, or a relay in front of FCM/APNs) receives

    {"id": "<notification id>", "to": "<device token>", "kind": "case.approved",
     "language": "nb", "title": "...", "body": "..."}

with an `Idempotency-Key` header equal to `id`, which stays the same across retries, so a relay
can drop a message it already passed on. Any 2xx answer is acceptance; anything else, or no
answer, is a failed attempt that the delivery job retries. The body is the template's short text
for the `push` channel: a template without a push text of its own gives its SMS form
(`RenderedMessage.short_text`).

Registered by `simexit.integrations.transports.build_transports` when `SIMEXIT_PUSH_URL` is set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from simexit.notifications.ports import PUSH_TOKEN, DeliveryError, Message, SendReceipt, Shaped
from simexit.notifications.templates import RenderedMessage


@dataclass(frozen=True, slots=True)
class PushConfig:
    url: str  # e.g. https://push.operator.example/v1/messages
    timeout_seconds: float = 10.0


def payload(message: Message) -> dict[str, str]:
    return {
        "id": str(message.notification_id),
        "to": message.recipient,
        "kind": message.kind,
        "language": message.language,
        "title": message.subject or "",
        "body": message.text,
    }


class HttpPushSender:
    name = "push_http"

    def __init__(self, config: PushConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        # No redirects: a message goes to the configured URL or not at all.
        self._client = client or httpx.Client(
            timeout=config.timeout_seconds, follow_redirects=False
        )

    def send(self, message: Message) -> SendReceipt:
        body = json.dumps(payload(message), ensure_ascii=False, separators=(",", ":"))
        headers = {
            "content-type": "application/json",
            "idempotency-key": str(message.notification_id),
        }
        try:
            response = self._client.post(self.config.url, content=body.encode(), headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"the push service did not answer: {type(error).__name__}"
            ) from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(
                f"the push service answered HTTP {response.status_code} {response.text[:200]!r}"
            )
        return SendReceipt(detail=f"HTTP {response.status_code}")


class PushChannel:
    name = "push"
    contact = PUSH_TOKEN
    attaches = False

    def __init__(self, sender: HttpPushSender | None = None) -> None:
        self.sender = sender

    @property
    def transport(self) -> str | None:
        return self.sender.name if self.sender else None

    def shape(self, rendered: RenderedMessage) -> Shaped:
        return Shaped(text=rendered.short_text(self.name), subject=rendered.subject)

    def send(self, message: Message) -> SendReceipt:
        if self.sender is None:
            raise RuntimeError("the local sink sends nothing")
        return self.sender.send(message)
