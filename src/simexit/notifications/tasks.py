"""Job handlers for notifications and webhooks, and the transports the worker gives them.

The edge that starts a worker (CLI, embedded server) calls `use_transports(build_transports(
settings))` once; until then e-mail and SMS go to the local sink and webhooks wait.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simexit.jobs.registry import exponential, job
from simexit.notifications import service, webhooks
from simexit.notifications.ports import Transports


class _Configured:
    transports = Transports()


def use_transports(transports: Transports) -> None:
    _Configured.transports = transports


def current_transports() -> Transports:
    return _Configured.transports


def _notification_dead(session: Session, *, error: str, **payload: Any) -> None:
    service.mark_dead(session, notification_id=str(payload["notification_id"]), error=error)


def _webhook_dead(session: Session, *, error: str, **payload: Any) -> None:
    webhooks.mark_dead(session, delivery_id=str(payload["delivery_id"]), error=error)


@job(
    service.DELIVER_JOB,
    max_attempts=8,
    backoff=exponential(base_seconds=30, cap_seconds=3600),
    on_dead=_notification_dead,
)
def deliver_notification(session: Session, *, now: datetime, notification_id: str) -> None:
    service.deliver_notification(
        session,
        now=now,
        notification_id=uuid.UUID(notification_id),
        transports=_Configured.transports,
    )


@job(
    webhooks.DELIVER_JOB,
    max_attempts=10,
    backoff=exponential(base_seconds=30, cap_seconds=6 * 3600),
    on_dead=_webhook_dead,
)
def deliver_webhook(session: Session, *, now: datetime, delivery_id: str) -> None:
    webhooks.deliver(
        session, now=now, delivery_id=uuid.UUID(delivery_id), sender=_Configured.transports.webhooks
    )
