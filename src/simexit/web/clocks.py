"""The portal's and console's "now": the operator's, as at every other edge (`operators.clocks`).

The screens call `routes.common.now()` wherever they need the time, with no operator at hand;
the dependency that signs the staff member or subscriber in says, for the rest of the request,
whose time it is (a context variable: FastAPI runs the page, and the threads it hands work to,
in the request's context). An operator without a test clock costs no statement; a subscriber
signed in with lines at several operators stays on the wall clock.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from simexit.clock import utc_now
from simexit.db import Database
from simexit.models import Subscriber
from simexit.operators import clocks as operator_clocks


@dataclass(frozen=True, slots=True)
class _Whose:
    db: Database
    operator_id: uuid.UUID | None = None
    subscriber_ids: tuple[uuid.UUID, ...] = ()


_whose: ContextVar[_Whose | None] = ContextVar("simexit_web_clock", default=None)


def act_for_staff(db: Database, operator_id: uuid.UUID) -> None:
    _whose.set(_Whose(db, operator_id=operator_id))


def act_for_subscribers(db: Database, subscriber_ids: tuple[uuid.UUID, ...]) -> None:
    _whose.set(_Whose(db, subscriber_ids=subscriber_ids))


def now() -> datetime:
    wall = utc_now()
    whose = _whose.get()
    if whose is None:
        return wall
    with whose.db.read_session() as session:
        if not operator_clocks.clocked_ids(session):
            return wall
        operator_id = whose.operator_id
        if operator_id is None and whose.subscriber_ids:
            operators = set(
                session.scalars(
                    select(Subscriber.operator_id).where(Subscriber.id.in_(whose.subscriber_ids))
                )
            )
            operator_id = operators.pop() if len(operators) == 1 else None
        return operator_clocks.now_for(session, operator_id, wall)
