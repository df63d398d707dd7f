"""Recording an accepted offer: a pause is the suspension case it opened; a cheaper plan is a
request for the operator, announced by the `line.retention_offer_accepted` webhook."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.models import Line, RetentionAcceptance
from simexit.notifications import webhooks
from simexit.policies.schema import RetentionOffer
from simexit.principals import Actor

EVENT = "line.retention_offer_accepted"


def record(
    session: Session,
    *,
    actor: Actor,
    line: Line,
    offer: RetentionOffer,
    now: datetime,
    case_id: uuid.UUID | None = None,
) -> RetentionAcceptance:
    effect = "suspension_case" if offer.kind == "pause" else "operator_request"
    accepted = RetentionAcceptance(
        id=uuid.uuid4(),
        operator_id=line.operator_id,
        line_id=line.id,
        offer_code=offer.code,
        offer_kind=offer.kind,
        effect=effect,
        case_id=case_id,
        created_at=now,
    )
    session.add(accepted)
    audit.record(
        session,
        operator_id=line.operator_id,
        actor=actor,
        action="line.retention_offer_accepted",
        subject_type="line",
        subject_id=line.id,
        at=now,
        changes={"offer": offer.code, "kind": offer.kind, "effect": effect},
    )
    webhooks.emit(
        session,
        now=now,
        operator_id=line.operator_id,
        event_type=EVENT,
        data={
            "line_id": str(line.id),
            "offer": offer.code,
            "kind": offer.kind,
            "effect": effect,
            "case_id": str(case_id) if case_id else None,
        },
    )
    return accepted


def accepted_counts(
    session: Session, *, operator_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, int]:
    """Accepted offers per offer code in [since, until), for the outcomes page."""
    rows = session.execute(
        select(RetentionAcceptance.offer_code, func.count())
        .where(
            RetentionAcceptance.operator_id == operator_id,
            RetentionAcceptance.created_at >= since,
            RetentionAcceptance.created_at < until,
        )
        .group_by(RetentionAcceptance.offer_code)
        .order_by(RetentionAcceptance.offer_code)
    )
    return {code: int(count) for code, count in rows}
