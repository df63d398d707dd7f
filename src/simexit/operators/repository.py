"""The operator a request acts for, as a read-only snapshot.

Every write request needs its operator (time zone, policy pack, reference prefix, whether it has
webhook endpoints),
often several times. Loading it as an ORM entity cost more than the rest of most look-ups; the
snapshot is one Core statement, kept for the rest of the transaction in `session.info` and
dropped when the transaction ends, so a change to the operator is seen by the next request.
Code that changes an operator loads the `Operator` entity itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, event, exists, select
from sqlalchemy.orm import Session, SessionTransaction

from simexit.errors import NotFound
from simexit.models import Operator, WebhookEndpoint
from simexit.prepared import Prepared


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
    # Whether any webhook endpoint is live: an event is written only then (most operators have
    # none, and this keeps their writes free of a look-up of endpoints).
    has_webhook_endpoints: bool


_CACHE = "simexit.operators.snapshots"
_BY_ID = Prepared(
    select(
        Operator.id,
        Operator.code,
        Operator.name,
        Operator.country,
        Operator.currency,
        Operator.timezone,
        Operator.languages,
        Operator.policy_pack,
        Operator.reference_prefix,
        exists()
        .where(WebhookEndpoint.operator_id == Operator.id, WebhookEndpoint.disabled_at.is_(None))
        .label("has_webhook_endpoints"),
    ).where(Operator.id == bindparam("id"))
)


def operator_info(session: Session, operator_id: uuid.UUID) -> OperatorInfo:
    """The operator, once per transaction; `NotFound` (field `operator_id`) if there is none."""
    cache: dict[uuid.UUID, OperatorInfo] = session.info.setdefault(_CACHE, {})
    found = cache.get(operator_id)
    if found is None:
        row = _BY_ID.one_or_none(session, {"id": operator_id})
        if row is None:
            raise NotFound("no such operator", field="operator_id")
        (_id, code, name, country, currency, timezone, languages, pack, prefix, webhook) = row
        found = cache[operator_id] = OperatorInfo(
            id=_id,
            code=code,
            name=name,
            country=country,
            currency=currency,
            timezone=timezone,
            languages=tuple(languages or ()),
            policy_pack=pack,
            reference_prefix=prefix,
            has_webhook_endpoints=bool(webhook),
        )
    return found


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_CACHE, None)


def operator_codes(session: Session) -> list[str]:
    """Every operator's code (start-up checks the gateways file against them)."""
    return list(session.scalars(select(Operator.code).order_by(Operator.code)))
