"""Job handlers for notifications and webhooks, and the transports the worker gives them.

The edge that starts a worker (CLI, embedded server) calls `use_transports(build_transports(
settings))` once; until then e-mail and SMS go to the local sink and webhooks wait
(`simexit.notifications.channels` holds them; re-exported here for the edges).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simexit.jobs.registry import Exchange, exchange_job, exponential
from simexit.notifications import service, webhooks
from simexit.notifications.channels import current_transports, use_transports

__all__ = ["current_transports", "use_transports"]


def _notification_dead(session: Session, *, now: datetime, error: str, **payload: Any) -> None:
    service.mark_dead(
        session, notification_id=str(payload["notification_id"]), error=error, now=now
    )


def _webhook_dead(session: Session, *, error: str, **payload: Any) -> None:
    webhooks.mark_dead(session, delivery_id=str(payload["delivery_id"]), error=error)


# Both deliveries are exchanges: the message is read first, handed to its channel's transport or
# the receiver with no transaction open, and the outcome recorded in the job's transaction.


def _plan_notification(session: Session, *, now: datetime, notification_id: str) -> Any:
    return service.plan_delivery(
        session,
        notification_id=uuid.UUID(notification_id),
        now=now,
        transports=current_transports(),
    )


def _send_notification(delivery: service.Delivery) -> service.Handover:
    return service.hand_over(delivery, current_transports())


def _record_notification(
    session: Session,
    *,
    now: datetime,
    plan: service.Delivery | None,
    result: service.Handover | None,
) -> None:
    service.record_delivery(session, now=now, delivery=plan, handover=result)


def _plan_webhook(session: Session, *, now: datetime, delivery_id: str) -> Any:
    return webhooks.plan_post(session, now=now, delivery_id=uuid.UUID(delivery_id))


def _send_webhook(request: webhooks.Post) -> webhooks.Answer:
    return webhooks.post(request, current_transports().webhooks)


def _record_webhook(
    session: Session,
    *,
    now: datetime,
    plan: webhooks.Post | None,
    result: webhooks.Answer | None,
) -> None:
    webhooks.record_post(session, now=now, request=plan, answer=result)


exchange_job(
    service.DELIVER_JOB,
    Exchange(_plan_notification, _send_notification, _record_notification),
    max_attempts=8,
    backoff=exponential(base_seconds=30, cap_seconds=3600),
    on_dead=_notification_dead,
)
exchange_job(
    webhooks.DELIVER_JOB,
    Exchange(_plan_webhook, _send_webhook, _record_webhook),
    max_attempts=10,
    backoff=exponential(base_seconds=30, cap_seconds=6 * 3600),
    on_dead=_webhook_dead,
)
