"""Fees that fall due outside a case's settlement, posted as double entries on its ledger.

A pause or a reactivation charges what its preview showed (the Ice pause fee, a reactivation
fee) when the case is carried out (`cases.teardown` step `charges`); a SIM not returned by the
pack's deadline costs the non-return fee its termination preview showed, posted once by the
scheduler (`lines.sim_non_return_fees`). Amounts are the preview's, frozen when the subscriber
saw them. Every posting has an audit row on the case.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from simexit.audit import service as audit
from simexit.models import Case, LedgerEntry, Line
from simexit.principals import SYSTEM

SIM_NON_RETURN = "sim_non_return_fee"


def post(
    session: Session, case: Case, *, kind: str, minor: int, currency: str, now: datetime
) -> None:
    """One charge to the subscriber: receivable up, the operator's revenue down."""
    if minor <= 0:
        return
    for account, amount in (("subscriber_receivable", minor), ("operator_revenue", -minor)):
        session.add(
            LedgerEntry(
                operator_id=case.operator_id,
                case_id=case.id,
                kind=kind,
                account=account,
                amount_minor=amount,
                currency=currency,
                created_at=now,
            )
        )


def post_preview_charges(session: Session, case: Case, _line: Line, now: datetime) -> None:
    """The charges the case's preview listed (a pause or reactivation fee)."""
    preview = case.preview
    if preview is None or not preview.charges:
        return
    for charge in preview.charges:
        post(
            session,
            case,
            kind=charge.code,
            minor=charge.amount.minor,
            currency=charge.amount.currency,
            now=now,
        )
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=SYSTEM,
        action="case.charges_posted",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={c.code: c.amount.as_str() for c in preview.charges},
    )


def post_sim_non_return_fee(session: Session, case: Case, *, today: date, now: datetime) -> bool:
    """Post the non-return fee once the deadline has passed; True when it was posted now."""
    preview = case.preview
    if preview is None or preview.sim_return_deadline is None:
        return False
    if today <= preview.sim_return_deadline:
        return False
    fee = _frozen_fee(case)
    if fee is None or fee[0] <= 0 or _already_posted(session, case):
        return False
    post(session, case, kind=SIM_NON_RETURN, minor=fee[0], currency=fee[1], now=now)
    audit.record(
        session,
        operator_id=case.operator_id,
        actor=SYSTEM,
        action="case.sim_non_return_fee_posted",
        subject_type="case",
        subject_id=case.id,
        at=now,
        changes={"minor": fee[0], "currency": fee[1], "deadline": str(preview.sim_return_deadline)},
    )
    return True


def _frozen_fee(case: Case) -> tuple[int, str] | None:
    preview = case.preview
    assert preview is not None  # noqa: S101 - the caller checked
    for finding in preview.checklist:
        if finding.code == "return_sim":
            fee = finding.params.get("fee") or {}
            if isinstance(fee, dict) and "minor" in fee and "currency" in fee:
                return int(fee["minor"]), str(fee["currency"])
    return None


def _already_posted(session: Session, case: Case) -> bool:
    found = session.scalars(
        select(LedgerEntry.id)
        .where(LedgerEntry.case_id == case.id, LedgerEntry.kind == SIM_NON_RETURN)
        .limit(1)
    ).first()
    return found is not None
