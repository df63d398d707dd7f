"""The operator a request acts for, as a read-only snapshot.

Every write request needs its operator (time zone, policy pack, reference prefix, webhook URL),
often several times. Loading it as an ORM entity cost more than the rest of most look-ups; the
snapshot is one Core statement, kept for the rest of the transaction in `session.info` and
dropped when the transaction ends, so a change to the operator is seen by the next request.
Code that changes an operator loads the `Operator` entity itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, SessionTransaction

from simexit.errors import NotFound
from simexit.models import Operator


@dataclass(frozen=True, slots=True)
class OperatorInfo:
    id: uuid.UUID
    code: str
    name: str
    country: str
    currency: str
    timezone: str
    languages: tuple[str, ...]
    policy_pack: str
    reference_prefix: str
    webhook_url: str | None


_CACHE = "simexit.operators.snapshots"
_BY_ID = select(
    Operator.id,
    Operator.code,
    Operator.name,
    Operator.country,
    Operator.currency,
    Operator.timezone,
    Operator.languages,
    Operator.policy_pack,
    Operator.reference_prefix,
    Operator.webhook_url,
).where(Operator.id == bindparam("id"))


def operator_info(session: Session, operator_id: uuid.UUID) -> OperatorInfo:
    """The operator, once per transaction; `NotFound` (field `operator_id`) if there is none."""
    cache: dict[uuid.UUID, OperatorInfo] = session.info.setdefault(_CACHE, {})
    found = cache.get(operator_id)
    if found is None:
        row = session.connection().execute(_BY_ID, {"id": operator_id}).one_or_none()
        if row is None:
            raise NotFound("no such operator", field="operator_id")
        found = cache[operator_id] = OperatorInfo(
            id=row.id,
            code=row.code,
            name=row.name,
            country=row.country,
            currency=row.currency,
            timezone=row.timezone,
            languages=tuple(row.languages or ()),
            policy_pack=row.policy_pack,
            reference_prefix=row.reference_prefix,
            webhook_url=row.webhook_url,
        )
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_CACHE, None)
