"""Webhook endpoint use cases. Every change is audited (the URL, never a secret).

Rotating a secret follows Stripe's endpoint secret rolling: the new secret is shown once, and the
old one keeps signing for a grace period the caller picks (0 to 168 hours, 24 by default), during
which every delivery carries both signatures (`webhook-signature: v1,<new> v1,<old>`, as the
Standard Webhooks spec allows). A receiver can deploy the new secret whenever it likes within it.
A second rotation within the grace period drops the oldest secret: at most two sign at once.

Replaying a delivery sends the same event again (same `webhook-id` and body, so a receiver that
has it already de-duplicates it) to the endpoint's URL, through a new delivery job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.jobs.queue import add_job
from simexit.kit.standard_webhooks import generate_secret
from simexit.models import WebhookDelivery, WebhookEndpoint
from simexit.notifications.webhooks import DELIVER_JOB
from simexit.paging import After
from simexit.principals import Actor
from simexit.webhooks import repository, rules
from simexit.webhooks.errors import (
    DeliveryInProgress,
    DeliveryNotFound,
    EndpointDisabled,
    EndpointNotFound,
    TooManyEndpoints,
    check_url,
)


@dataclass(frozen=True, slots=True)
class WithSecret:
    """An endpoint and its new signing secret, which is shown this once."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDelivery
    last_error: str | None


def _record(
    session: Session,
    endpoint: WebhookEndpoint,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    changes: dict[str, object],
    request_id: str | None,
    subject: tuple[str, uuid.UUID] | None = None,
) -> None:
    subject_type, subject_id = subject or ("webhook_endpoint", endpoint.id)
    audit.record(
        session,
        operator_id=endpoint.operator_id,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        at=now,
        changes=changes,
        request_id=request_id,
    )


def register_endpoint(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    url: str,
    events: tuple[str, ...],
    description: str | None,
    allow_loopback_http: bool,
    now: datetime,
    request_id: str | None = None,
) -> WithSecret:
    check_url(url, allow_loopback_http=allow_loopback_http)
    if repository.live_count(session, operator_id) >= rules.MAX_LIVE_ENDPOINTS:
        raise TooManyEndpoints(
            f"an operator can have at most {rules.MAX_LIVE_ENDPOINTS} live webhook endpoints; "
            "disable one first",
            field="url",
            limit=rules.MAX_LIVE_ENDPOINTS,
        )
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        operator_id=operator_id,
        url=url,
        description=description,
        events=list(dict.fromkeys(events)),
        secret=secret,
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    _record(
        session,
        endpoint,
        actor=actor,
        action="webhook_endpoint.registered",
        now=now,
        changes={"url": url, "events": endpoint.events},
        request_id=request_id,
    )
    return WithSecret(endpoint, secret)


def get_endpoint(
    session: Session, operator_id: uuid.UUID, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = repository.get(session, operator_id, endpoint_id, for_update=for_update)
    if endpoint is None:
        raise EndpointNotFound("no such webhook endpoint", field="endpoint_id")
    return endpoint


def list_endpoints(
    session: Session, operator_id: uuid.UUID, *, after: After | None = None, limit: int = 50
) -> list[WebhookEndpoint]:
    return repository.page(session, operator_id, after=after, limit=limit)


def rotate_secret(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    grace: timedelta,
    now: datetime,
    request_id: str | None = None,
) -> WithSecret:
    endpoint = get_endpoint(session, operator_id, endpoint_id, for_update=True)
    if endpoint.disabled_at is not None:
        raise EndpointDisabled("the webhook endpoint is disabled", field="endpoint_id")
    secret = generate_secret()
    if grace > timedelta(0):
        endpoint.previous_secret, endpoint.previous_expires_at = endpoint.secret, now + grace
    else:
        endpoint.previous_secret, endpoint.previous_expires_at = None, None
    endpoint.secret, endpoint.rotated_at = secret, now
    _record(
        session,
        endpoint,
        actor=actor,
        action="webhook_endpoint.secret_rotated",
        now=now,
        changes={"previous_secret_expires_at": endpoint.previous_expires_at},
        request_id=request_id,
    )
    return WithSecret(endpoint, secret)


def disable_endpoint(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    now: datetime,
    request_id: str | None = None,
) -> WebhookEndpoint:
    """No new events go to it; deliveries already queued still try. Idempotent."""
    endpoint = get_endpoint(session, operator_id, endpoint_id, for_update=True)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = now
        _record(
            session,
            endpoint,
            actor=actor,
            action="webhook_endpoint.disabled",
            now=now,
            changes={"url": endpoint.url},
            request_id=request_id,
        )
    return endpoint


def list_deliveries(
    session: Session,
    operator_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    *,
    status: str | None = None,
    after: After | None = None,
    limit: int = 50,
) -> list[DeliveryView]:
    endpoint = get_endpoint(session, operator_id, endpoint_id)
    rows = repository.deliveries(session, endpoint, status=status, after=after, limit=limit)
    errors = repository.last_errors(session, [row.id for row in rows])
    return [DeliveryView(row, errors.get(row.id)) for row in rows]


def get_delivery(
    session: Session, operator_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryView:
    endpoint = get_endpoint(session, operator_id, endpoint_id)
    delivery = repository.delivery(session, endpoint, delivery_id, for_update=False)
    if delivery is None:
        raise DeliveryNotFound("no such delivery of this endpoint", field="delivery_id")
    return DeliveryView(delivery, repository.last_errors(session, [delivery.id]).get(delivery.id))


def replay_delivery(
    session: Session,
    *,
    actor: Actor,
    operator_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    now: datetime,
    request_id: str | None = None,
) -> DeliveryView:
    """Queue the delivery again. A pending one already has a live job: 409, nothing queued."""
    endpoint = get_endpoint(session, operator_id, endpoint_id)
    if endpoint.disabled_at is not None:
        raise EndpointDisabled("the webhook endpoint is disabled", field="endpoint_id")
    delivery = repository.delivery(session, endpoint, delivery_id, for_update=True)
    if delivery is None:
        raise DeliveryNotFound("no such delivery of this endpoint", field="delivery_id")
    if delivery.status == "pending":
        raise DeliveryInProgress(
            "the delivery is still being tried; replay it once it is delivered or dead",
            field="delivery_id",
        )
    previous = delivery.status
    delivery.status, delivery.url = "pending", endpoint.url
    add_job(
        session,
        DELIVER_JOB,
        now=now,
        # A fresh key per replay: the first job's key is taken for good.
        dedup_key=f"{DELIVER_JOB}:{delivery.message_id}:replay:{uuid.uuid4().hex}",
        operator_id=operator_id,
        delivery_id=str(delivery.id),
    )
    _record(
        session,
        endpoint,
        actor=actor,
        action="webhook_delivery.replayed",
        now=now,
        changes={
            "status": [previous, "pending"],
            "event_type": delivery.event_type,
            "endpoint_id": endpoint.id,
        },
        request_id=request_id,
        subject=("webhook_delivery", delivery.id),
    )
    return DeliveryView(delivery, None)
