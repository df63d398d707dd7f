"""The receipt of a request: what was asked, what the subscriber agreed to and how they proved who
they are, from the case's frozen preview. One `Receipt` is shown as a page and drawn as a PDF
(`receipt_pdf`), in the page's language; the e-mails that confirm a request carry the PDF in the
message's language (`receipt_mail`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as DbSession

from simexit.cases import repository as case_repository
from simexit.models import Case, Line
from simexit.operators.repository import OperatorInfo
from simexit.web.i18n import N_, Texts
from simexit.web.texts import (
    CASE_TYPE,
    EFFECTIVE_LABEL,
    LINE_KIND,
    METHOD,
    PLAN,
    REASONS,
    SETTLEMENT,
    STATUS,
    label,
)
from simexit.web.views import preview_view

TITLE = N_("Receipt for request {reference}")


@dataclass(frozen=True)
class Receipt:
    reference: str
    title: str
    rows: list[tuple[str, str]]  # label, value
    consent_heading: str
    consent: str
    consented: str
    consequences: list[tuple[str, str]]
    checklist: list[str]
    footer: str

    @property
    def filename(self) -> str:
        return f"receipt-{self.reference}.pdf"


def receipt_for(db: DbSession, t: Texts, case: Case, *, now: datetime) -> Receipt | None:
    """The receipt of a sent request, read from the database (None for one never sent)."""
    line = db.get(Line, case.line_id)
    if line is None or case.submitted_at is None:
        return None
    return build_receipt(
        t,
        case=case,
        line=line,
        operator=case_repository.operator(db, case.operator_id),
        identity_method=case_repository.passed_verification_method(db, case.id),
        now=now,
    )


def _when(t: Texts, at: datetime | None, timezone: str) -> str:
    if at is None:
        return ""
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(timezone))
    return f"{t.date(local.date())} {local.strftime('%H:%M %Z')}"


def build_receipt(
    t: Texts,
    *,
    case: Case,
    line: Line,
    operator: OperatorInfo,
    identity_method: str | None,
    now: datetime,
) -> Receipt:
    p = preview_view(t, case.preview)
    rows = [
        (t(N_("Reference")), case.reference),
        (t(N_("Operator")), operator.name),
        (t(N_("Number")), line.msisdn),
        (t(N_("Line")), f"{label(t, LINE_KIND, line.kind)}, {label(t, PLAN, line.plan)}"),
        (t(N_("What was asked")), label(t, CASE_TYPE, case.type)),
        (t(N_("Status")), label(t, STATUS, case.status)),
        (t(N_("Sent")), _when(t, case.submitted_at, operator.timezone)),
        (
            t(N_("Identity checked with")),
            label(t, METHOD, identity_method) if identity_method else t(N_("Not recorded")),
        ),
    ]
    if case.reason_code:
        rows.append((t(N_("Reason given")), label(t, REASONS, case.reason_code)))
    if case.settlement:
        rows.append((t(N_("Remaining balance")), label(t, SETTLEMENT, case.settlement)))
    consequences: list[tuple[str, str]] = []
    if p.effective_date:
        consequences.append((label(t, EFFECTIVE_LABEL, case.type), p.effective_date))
    if case.suspend_until:
        consequences.append((t(N_("Pause ends")), t.date(case.suspend_until)))
    if p.billing_end_date:
        consequences.append((t(N_("Last day billed")), p.billing_end_date))
    consequences.extend((item.label, item.amount) for item in p.charges)
    consequences.append(
        (t(N_("You pay")), p.total_due if p.has_charges else t(N_("Nothing extra")))
    )
    if p.has_refund:
        consequences.append((t(N_("Paid back to you")), p.refund))
    if p.has_transfer:
        consequences.append((t(N_("Moved to another number")), p.transfer))
    if p.has_forfeit:
        consequences.append((t(N_("Balance you lose")), p.forfeit))
    if p.quarantine_until:
        consequences.append((t(N_("The number rests until")), p.quarantine_until))
    return Receipt(
        reference=case.reference,
        title=t(TITLE, reference=case.reference),
        rows=rows,
        consent_heading=t(N_("What you confirmed")),
        consent=case.consent_text or t(N_("Not recorded")),
        consented=t(N_("Confirmed on {when}."), when=_when(t, case.consented_at, operator.timezone))
        if case.consented_at
        else "",
        consequences=consequences,
        checklist=p.checklist,
        footer=t(
            N_(
                "Made on {when} by simexit for {operator}. The amounts are those shown when you sent the request."
            ),
            when=_when(t, now, operator.timezone),
            operator=operator.name,
        ),
    )
