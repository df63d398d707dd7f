"""The HTTP side of webhooks: POST the signed body, report the status code."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from simexit.notifications.ports import DeliveryError


class HttpWebhookSender:
    def __init__(
        self, *, timeout_seconds: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        # No redirects: a signed event goes to the configured URL or not at all.
        self._client = client or httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            response = self._client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"no answer from the webhook endpoint: {type(error).__name__}"
            ) from None
        return response.status_code
