"""Page data built from rows and frozen previews, shared by portal and console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as DbSession

from simexit.cases.service.information import open_request
from simexit.cases.states import CaseStatus
from simexit.models import AuditEvent, Case
from simexit.policies.model import Decision
from simexit.web.i18n import Texts
from simexit.web.texts import (
    ACTOR,
    AUDIT,
    CHARGES,
    INFORMATION_KIND,
    REJECTION,
    SYSTEM_REJECTION,
    finding_text,
    label,
)


@dataclass(frozen=True)
class MoneyLine:
    label: str
    amount: str


@dataclass(frozen=True)
class PreviewView:
    effective_date: str
    billing_end_date: str
    sla_due_date: str
    charges: list[MoneyLine]
    total_due: str
    has_charges: bool
    balance_outcome: str | None
    refund: str
    transfer: str
    forfeit: str
    has_refund: bool
    has_transfer: bool
    has_forfeit: bool
    quarantine_until: str
    sim_return_required: bool
    blockers: list[str]
    review_reasons: list[str]
    checklist: list[str]
    alternatives: list[tuple[str, str]]
    balance_options: list[str]
    identity_methods: list[str]


def preview_view(t: Texts, d: Decision | None) -> PreviewView:
    """The decision as the preview partial shows it; a case without one shows nothing owed."""
    if d is None:
        return EMPTY_PREVIEW
    currency = d.currency
    options: list[str] = []
    for item in d.checklist:
        if item.code == "choose_balance_outcome":
            options = [str(o) for o in item.params.get("options", ())]
    return PreviewView(
        effective_date=t.date(d.effective_date),
        billing_end_date=t.date(d.billing_end_date),
        sla_due_date=t.date(d.sla_due_date),
        charges=[
            MoneyLine(label(t, CHARGES, c.code), t.money(c.amount.minor, currency))
            for c in d.charges
        ],
        total_due=t.money(d.total_due.minor, currency),
        has_charges=d.total_due.minor > 0,
        balance_outcome=d.balance_outcome,
        refund=t.money(d.refund.minor, currency),
        transfer=t.money(d.transfer.minor, currency),
        forfeit=t.money(d.forfeit.minor, currency),
        has_refund=d.refund.minor > 0,
        has_transfer=d.transfer.minor > 0,
        has_forfeit=d.forfeit.minor > 0,
        quarantine_until=t.date(d.quarantine_until),
        sim_return_required=d.sim_return_required,
        blockers=[finding_text(t, f, currency) for f in d.blockers],
        review_reasons=[finding_text(t, f, currency) for f in d.review_reasons],
        checklist=[
            finding_text(t, f, currency) for f in d.checklist if f.code != "choose_balance_outcome"
        ],
        alternatives=[(f.code, finding_text(t, f, currency)) for f in d.alternatives],
        balance_options=options,
        identity_methods=list(d.identity_methods),
    )


EMPTY_PREVIEW = PreviewView(
    effective_date="",
    billing_end_date="",
    sla_due_date="",
    charges=[],
    total_due="",
    has_charges=False,
    balance_outcome=None,
    refund="",
    transfer="",
    forfeit="",
    has_refund=False,
    has_transfer=False,
    has_forfeit=False,
    quarantine_until="",
    sim_return_required=False,
    blockers=[],
    review_reasons=[],
    checklist=[],
    alternatives=[],
    balance_options=[],
    identity_methods=[],
)


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    what: str
    who: str
    note: str | None


def timeline(
    t: Texts, events: list[AuditEvent], *, staff_view: bool, timezone: str = "UTC"
) -> list[TimelineEntry]:
    """Audit rows as sentences; staff also see who acted (a role word, plus the staff e-mail).
    Times are shown in `timezone` (the operator's), with its abbreviation."""
    zone = ZoneInfo(timezone)
    out = []
    for event in events:
        who = actor_text(t, f"{event.actor_type}:{event.actor_id}") if staff_view else ""
        at = (event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)).astimezone(zone)
        out.append(
            TimelineEntry(
                when=f"{t.date(at.date())} {at.strftime('%H:%M %Z')}",
                what=label(t, AUDIT, event.action),
                who=who,
                note=event.note if staff_view else None,
            )
        )
    return out


def actor_text(t: Texts, actor_label: str | None) -> str:
    """`agent:ola@op.no` → "Staff · ola@op.no"; a subscriber's or system's id is not shown."""
    if not actor_label:
        return ""
    kind, _, ident = actor_label.partition(":")
    text = label(t, ACTOR, kind)
    return f"{text} · {ident}" if kind in {"agent", "integrator", "reseller"} and ident else text


@dataclass(frozen=True)
class CaseFindings:
    """Why a case waits for a person or is on hold, and why it was not approved, as sentences."""

    blockers: list[str]
    review_reasons: list[str]
    rejection: str
    decision_note: str
    sla_due: str
    overdue: bool


def case_findings(t: Texts, case: Case, today: date) -> CaseFindings:
    currency = case.preview.currency if case.preview is not None else None
    return CaseFindings(
        blockers=[finding_text(t, f, currency) for f in case.blockers],
        review_reasons=[finding_text(t, f, currency) for f in case.review_reasons],
        rejection=label(t, REJECTION | SYSTEM_REJECTION, case.rejection_reason),
        decision_note=case.decision_note or "",
        sla_due=t.date(case.sla_due_date) if case.status in OPEN_FOR_SLA else "",
        overdue=is_overdue(case, today),
    )


OPEN_FOR_SLA = frozenset({CaseStatus.submitted, CaseStatus.in_review, CaseStatus.blocked})


def is_overdue(case: Case, today: date) -> bool:
    return (
        case.sla_due_date is not None and case.sla_due_date < today and case.status in OPEN_FOR_SLA
    )


@dataclass(frozen=True, slots=True)
class AskedView:
    kind: str
    message: str
    due: str


def asked_view(db: DbSession, t: Texts, case: Case) -> AskedView | None:
    """What the subscriber is asked for, while the case waits for it."""
    asked = open_request(db, case.id)
    if asked is None or case.status != "information_required":
        return None
    return AskedView(
        label(t, INFORMATION_KIND, asked.kind), asked.message or "", t.date(asked.due_date)
    )
