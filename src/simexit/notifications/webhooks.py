"""Events to integrators, signed per the Standard Webhooks spec (standardwebhooks.com).

Each event is one `WebhookDelivery` row with a stable `webhook-id` and the exact body that is
signed, written in the caller's transaction with its delivery job. Every POST is logged as a
`WebhookAttempt` (status code, duration, error). Receivers de-duplicate on `webhook-id`, which
stays the same across retries; the timestamp and signature are fresh on each attempt. Delivery
is a job exchange: `plan_post` signs the request, `post` makes it with no transaction open,
`record_post` logs the attempt in the job's transaction.

Signature (`simexit.kit.standard_webhooks`): `webhook-signature: v1,<base64 HMAC-SHA256(key,
f"{id}.{timestamp}.{body}")>`, where the key is the base64 part of the endpoint's secret
`whsec_<base64>`. For the grace period after a rotation
(`simexit.webhooks.service.rotate_secret`) the header carries a second, space-separated signature
made with the previous secret, as the Standard Webhooks spec allows.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from simexit.jobs.queue import add_job
from simexit.jobs.runner import AttemptFailed, short_error
from simexit.kit.standard_webhooks import signed_headers
from simexit.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from simexit.notifications import repository
from simexit.notifications.ports import DeliveryError, WebhookSender
from simexit.operators.repository import operator_info

log = structlog.get_logger()

DELIVER_JOB = "webhooks.deliver"


# Another API's name for an event (TM Forum's `ProductStatusChangeEvent` for `line.suspended`):
# event type -> functions giving the other event type and its data. Such events go only to
# endpoints that name them (a hub registered through that API), never to catch-all endpoints.
Translation = Callable[[dict[str, Any], datetime], tuple[str, dict[str, Any]] | None]
_TRANSLATIONS: dict[str, list[Translation]] = {}
_EXPLICIT_ONLY: set[str] = set()


def also_as(event_types: tuple[str, ...], produces: str, translation: Translation) -> None:
    """Send each of `event_types` also as `produces`, with the data `translation` makes."""
    _EXPLICIT_ONLY.add(produces)
    for event_type in event_types:
        found = _TRANSLATIONS.setdefault(event_type, [])
        if translation not in found:
            found.append(translation)


def explicit_only(event_type: str) -> None:
    """`event_type` goes only to endpoints that name it in their `events`."""
    _EXPLICIT_ONLY.add(event_type)


def emit(
    session: Session,
    *,
    now: datetime,
    operator_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
) -> list[WebhookDelivery]:
    """Queue `event_type` for each of the operator's live endpoints that wants it (an endpoint
    with no `events` filter wants every event); one delivery and job per endpoint. Translations
    of the event (`also_as`) are queued with it."""
    deliveries = _emit(session, now=now, operator_id=operator_id, event_type=event_type, data=data)
    for translation in _TRANSLATIONS.get(event_type, ()):
        translated = translation(data, now)
        if translated is not None:
            other, other_data = translated
            deliveries += _emit(
                session, now=now, operator_id=operator_id, event_type=other, data=other_data
            )
    return deliveries


def _emit(
    session: Session,
    *,
    now: datetime,
    operator_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
) -> list[WebhookDelivery]:
    operator = operator_info(session, operator_id)
    if not operator.has_webhook_endpoints:
        return []
    explicit = event_type in _EXPLICIT_ONLY
    targets = [
        target
        for target in repository.live_endpoints(session, operator_id)
        if event_type in target.events or (not target.events and not explicit)
    ]
    if not targets:
        return []
    payload = {"type": event_type, "timestamp": now.astimezone(UTC).isoformat(), "data": data}
    body = json.dumps(
        payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
    )
    stored_data = json.loads(body)["data"]
    deliveries = []
    for target in targets:
        message_id = f"msg_{uuid.uuid4().hex}"
        delivery = WebhookDelivery(
            id=uuid.uuid4(),
            operator_id=operator_id,
            endpoint_id=target.id,
            message_id=message_id,
            event_type=event_type,
            url=target.url,
            body=body,
            data=stored_data,
            status="pending",
            attempts=0,
            created_at=now,
        )
        repository.append_webhook(session, delivery)
        # The message id was made just above, so its job key is new: no look-up.
        add_job(
            session,
            DELIVER_JOB,
            now=now,
            dedup_key=f"{DELIVER_JOB}:{message_id}",
            operator_id=delivery.operator_id,
            delivery_id=str(delivery.id),
        )
        log.info("webhook.queued", delivery_id=str(delivery.id), event_type=event_type)
        deliveries.append(delivery)
    return deliveries


def signing_secrets(endpoint: WebhookEndpoint | None, now: datetime) -> tuple[str, ...]:
    """The secrets a delivery is signed with now: the endpoint's, and during the grace period
    after a rotation the previous one too (the header then carries both signatures)."""
    if endpoint is None or not endpoint.secret:
        return ()
    if (
        endpoint.previous_secret
        and endpoint.previous_expires_at
        and now < endpoint.previous_expires_at
    ):
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


@dataclass(frozen=True, slots=True)
class Post:
    """One attempt to deliver a webhook: the signed request, or why it cannot be sent."""

    delivery_id: uuid.UUID
    url: str
    body: bytes
    headers: Mapping[str, str] | None  # None when `refusal` says why nothing may be sent
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the receiver answered (or why there was no answer)."""

    status_code: int | None
    error: str | None
    duration_ms: int


def plan_post(session: Session, *, now: datetime, delivery_id: uuid.UUID) -> Post | None:
    """The signed POST to make now, or None when the delivery is missing or delivered."""
    delivery = repository.webhook(session, delivery_id)
    if delivery is None or delivery.status == "delivered":
        log.info("webhook.deliver.skipped", delivery_id=str(delivery_id))
        return None
    keys = signing_secrets(repository.endpoint(session, delivery.endpoint_id), now)
    body = delivery.body.encode()
    if not keys:
        refusal = "the delivery has no endpoint secret to sign with; refusing to send unsigned"
        return Post(delivery.id, delivery.url, body, None, refusal)
    try:
        headers = signed_headers(
            keys[0],
            message_id=delivery.message_id,
            timestamp=int(now.timestamp()),
            body=delivery.body,
            also=keys[1:],
        )
    except ValueError:  # a malformed secret (not base64)
        return Post(
            delivery.id, delivery.url, body, None, "the endpoint's webhook secret is malformed"
        )
    return Post(delivery.id, delivery.url, body, headers)


def post(request: Post, sender: WebhookSender | None) -> Answer:
    """Make the POST; no database. A refusal or a non-2xx answer is the outcome, not an error."""
    if sender is None:
        return Answer(None, "no webhook transport is configured in this worker", 0)
    if request.headers is None:
        return Answer(None, request.refusal, 0)
    started = time.monotonic()
    try:
        status_code = sender.post(request.url, body=request.body, headers=request.headers)
    except DeliveryError as failure:
        return Answer(None, short_error(str(failure)), _since(started))
    error = None if 200 <= status_code < 300 else f"the endpoint answered HTTP {status_code}"
    return Answer(status_code, error, _since(started))


def record_post(
    session: Session, *, now: datetime, request: Post | None, answer: Answer | None
) -> None:
    """Log the attempt; a 2xx answer delivers the webhook, anything else raises `AttemptFailed`."""
    if request is None or answer is None:
        return  # `plan_post` found nothing to send and said so
    delivery = repository.webhook_for_update(session, request.delivery_id)
    if delivery is None:
        log.info("webhook.deliver.skipped", delivery_id=str(request.delivery_id))
        return
    delivery.attempts += 1
    repository.add_webhook_attempt(
        session,
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            error=answer.error,
            created_at=now,
        ),
    )
    delivery.last_status_code = answer.status_code
    bound = log.bind(
        delivery_id=str(delivery.id),
        attempt=delivery.attempts,
        status_code=answer.status_code,
        duration_ms=answer.duration_ms,
    )
    if delivery.status == "delivered":
        bound.info("webhook.deliver.already")
        return
    if answer.error is not None:
        bound.warning("webhook.attempt_failed", error=answer.error)
        raise AttemptFailed(answer.error)
    delivery.status, delivery.delivered_at = "delivered", now
    bound.info("webhook.delivered")


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def mark_dead(session: Session, *, delivery_id: str, error: str) -> None:
    delivery = repository.webhook_for_update(session, uuid.UUID(delivery_id))
    if delivery is not None and delivery.status != "delivered":
        delivery.status = "dead"
        log.error("webhook.dead", delivery_id=delivery_id, error=error)
