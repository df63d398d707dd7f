"""Standard Webhooks signatures (standardwebhooks.com): sign a request, check a received one.

`webhook-signature: v1,<base64 HMAC-SHA256(key, f"{id}.{timestamp}.{body}")>`, where the key is
the base64 part of a secret `whsec_<base64>`. Several space-separated signatures may be given
(one per secret, during a rotation). Used by the outbound event webhooks
(`simexit.notifications.webhooks`) and the signed provisioning adapter
(`simexit.integrations.signed_webhook`). Pure: no clock, the caller passes the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
DEFAULT_TOLERANCE = timedelta(minutes=5)


class WebhookVerificationError(Exception):
    pass


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret; ValueError when it is not base64."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def sign(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(
        signing_key(secret), f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256
    ).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secret: str, *, message_id: str, timestamp: int, body: str, also: tuple[str, ...] = ()
) -> dict[str, str]:
    """The request's headers; `also` adds a signature per further secret, space-separated."""
    signature = " ".join(
        sign(key, message_id=message_id, timestamp=timestamp, body=body) for key in (secret, *also)
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def verify_webhook_signature(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: str | bytes,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> None:
    """Check a received webhook; raise WebhookVerificationError when it must be refused."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not message_id or not raw_timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance (replay?)")
    text = body.decode() if isinstance(body, bytes) else body
    expected = sign(secret, message_id=message_id, timestamp=timestamp, body=text)
    # The header may carry several space-separated signatures (during secret rotation).
    if not any(hmac.compare_digest(candidate, expected) for candidate in signatures.split(" ")):
        raise WebhookVerificationError("no signature matches")
