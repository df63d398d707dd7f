"""Jobs of the refunds domain: opening payouts for settled cases, and card refunds.

`refunds.open_due` runs every few minutes per operator: each refund a settled case left on the
ledger becomes a payout (and a refund to a line is credited at once). `refunds.pay_card` is one
exchange with the operator's payments gateway, outside any transaction; the payout id is the
provider's idempotency key, so a repeat after a lost answer pays once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.errors import GatewayError
from simexit.jobs import AttemptFailed
from simexit.jobs.registry import Exchange, exchange_job, exponential, periodic
from simexit.models import Case, Operator, Payout
from simexit.operators import clocks as operator_clocks
from simexit.refunds import repository, service
from simexit.refunds.destinations import DestinationKind
from simexit.refunds.ports import PaymentGateway
from simexit.refunds.ports import Payout as PortPayout
from simexit.refunds.sealing import Sealer
from simexit.refunds.states import PayoutStatus


@dataclass
class TaskContext:
    cases: service.RefundContext
    payments: Callable[[str], PaymentGateway]  # the payments gateway of an operator, by code


_installed: TaskContext | None = None


def install(cases: service.RefundContext, payments: Callable[[str], PaymentGateway]) -> None:
    global _installed
    _installed = TaskContext(cases, payments)


def context() -> TaskContext:
    if _installed is None:
        raise RuntimeError("refund tasks need simexit.refunds.tasks.install(...) at worker start")
    return _installed


@periodic("refunds.open_due", every=timedelta(minutes=5), per_operator=True)
def open_due(session: Session, *, now: datetime, operator_id: uuid.UUID | None = None) -> None:
    """Payouts for the refunds settled cases owe: one operator (a test clock's advance, at its
    `now`), or every operator not on a test clock."""
    if operator_id is not None:
        operators = [operator_id]
    else:
        skipped = operator_clocks.clocked(session)
        operators = [
            found
            for found in session.scalars(select(Operator.id).order_by(Operator.id))
            if found not in skipped
        ]
    for found in operators:
        service.open_due(session, context().cases, operator_id=found, now=now)


@dataclass(frozen=True, slots=True)
class CardPlan:
    operator_code: str
    payout: PortPayout


def _plan(session: Session, *, now: datetime, payout_id: str) -> CardPlan | None:  # noqa: ARG001
    payout = session.get(Payout, uuid.UUID(payout_id))
    if payout is None or payout.status is not PayoutStatus.scheduled:
        return None
    destination = repository.destination_of(session, payout.case_id)
    if destination is None or destination.sealed is None:
        return None
    opened = Sealer(context().cases.secret_key).open(
        destination.sealed, bound_to=str(destination.case_id)
    )
    if opened.kind is not DestinationKind.card:
        return None
    operator = session.get(Operator, payout.operator_id)
    case = session.get(Case, payout.case_id)
    assert operator is not None  # noqa: S101 - foreign key
    assert case is not None  # noqa: S101 - foreign key
    return CardPlan(
        operator.code,
        PortPayout(
            payout_id=payout.id.hex,
            amount_minor=payout.amount_minor,
            currency=payout.currency,
            destination=opened.account,
            remittance=f"Refund {case.reference}",
        ),
    )


def _send(plan: CardPlan) -> str | GatewayError:
    try:
        return context().payments(plan.operator_code).pay_out(plan.payout)
    except GatewayError as error:
        return error


def _record(
    session: Session,
    *,
    now: datetime,
    plan: CardPlan | None,
    result: str | GatewayError | None,
) -> None:
    if plan is None or result is None:
        return
    if isinstance(result, GatewayError):
        raise AttemptFailed(f"card refund refused: {result}")
    payout = session.get(Payout, uuid.UUID(hex=plan.payout.payout_id), with_for_update=True)
    if payout is not None:
        service.record_card_payout(session, payout, reference=result, now=now)


exchange_job(
    service.PAY_CARD_JOB,
    Exchange(plan=_plan, send=_send, record=_record),
    max_attempts=8,
    backoff=exponential(base_seconds=60, cap_seconds=3600),
)
