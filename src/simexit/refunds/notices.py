"""What the subscriber is told about the money: a refund paid, or one the bank sent back (with
the bank's reason and what to do). Queued in the transaction that settles or returns the payout;
one message per payout and event, so a report read twice tells nothing twice."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from simexit.lines import repository as line_repository
from simexit.models import Case, Payout, RefundDestination
from simexit.notifications import service as notifications
from simexit.refunds import repository

RETURNED = "payout.returned"
SETTLED = "payout.settled"


def tell_subscriber(
    session: Session, payout: Payout, kind: str, *, event: str, now: datetime
) -> None:
    """Queue `kind` for the payout's subscriber. `event` names the occurrence (the payment file
    and payout, or the provider's reference), so each is told once."""
    case = session.get(Case, payout.case_id)
    if case is None:
        return
    contact = line_repository.contact(session, case.subscriber_id)
    if contact.erased or not notifications.reaches(contact.addresses):
        return  # nobody to tell: the payout's state is on the request's page
    destination = repository.destination_of(session, case.id)
    occurrence = hashlib.sha256(event.encode()).hexdigest()[:16]
    notifications.notify(
        session,
        now=now,
        operator_id=payout.operator_id,
        kind=kind,
        subject_id=f"{payout.id.hex}:{occurrence}",
        language=case.language,
        contacts=contact.addresses,
        context={
            "reference": case.reference,
            "amount_minor": payout.amount_minor,
            "currency": payout.currency,
            "reason_code": payout.return_reason,
            "account_last_digits": _last_digits(destination),
        },
    )


def _last_digits(destination: RefundDestination | None) -> str | None:
    """The account's last four, as the masked form shows them; none for a credit to a line."""
    if destination is None or not destination.masked or "•" not in destination.masked:
        return None
    return destination.masked.rsplit(" ", 1)[-1]
