"""Who else follows a case's state: a listener runs in the transaction of every change of state
(after its audit row and webhook), e.g. the TM Forum orders over the case telling their hubs.

Listeners register themselves when their module is imported; the edge wiring (`simexit.runtime`)
imports them, so the API, the worker and the CLI all run the same ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.cases.states import CaseStatus
from simexit.models import Case

CaseListener = Callable[[Session, Case, CaseStatus, datetime], None]
_LISTENERS: list[CaseListener] = []


def listen(listener: CaseListener) -> CaseListener:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def changed(session: Session, case: Case, previous: CaseStatus, now: datetime) -> None:
    for listener in _LISTENERS:
        listener(session, case, previous, now)
