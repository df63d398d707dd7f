"""Who else follows a notification's delivery: a listener runs in the transaction that settles or
fails an attempt (a sent, dead or reported message), e.g. the TM Forum messages the notification
was part of telling their hubs.

Listeners register themselves when their module is imported; the edge wiring (`simexit.runtime`)
imports them, so the API (delivery reports), the worker and the CLI all run the same ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.models import Notification

NotificationListener = Callable[[Session, Notification, datetime], None]
_LISTENERS: list[NotificationListener] = []


def listen(listener: NotificationListener) -> NotificationListener:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def status_changed(session: Session, notification: Notification, now: datetime) -> None:
    if not _LISTENERS:
        return
    # Write sessions do not autoflush: a listener's queries must see the new status.
    session.flush()
    for listener in _LISTENERS:
        listener(session, notification, now)
