"""Page data built from rows and frozen previews, shared by portal and console."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from simexit.models import AuditEvent, Case
from simexit.web.i18n import Texts
from simexit.web.texts import ACTOR, AUDIT, CHARGES, REJECTION, finding_text, label


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


def _minor(p: dict[str, Any], key: str) -> int:
    value = p.get(key)
    return int(value.get("minor", 0)) if isinstance(value, dict) else 0


def preview_view(t: Texts, p: dict[str, Any]) -> PreviewView:
    currency = str(p.get("currency") or "")
    options: list[str] = []
    for item in p.get("checklist", ()):
        if item.get("code") == "choose_balance_outcome":
            options = [str(o) for o in item.get("params", {}).get("options", ())]
    return PreviewView(
        effective_date=t.date(p.get("effective_date")),
        billing_end_date=t.date(p.get("billing_end_date")),
        sla_due_date=t.date(p.get("sla_due_date")),
        charges=[
            MoneyLine(label(t, CHARGES, c["code"]), t.money(int(c["amount"]["minor"]), currency))
            for c in p.get("charges", ())
        ],
        total_due=t.money(_minor(p, "total_due"), currency),
        has_charges=_minor(p, "total_due") > 0,
        balance_outcome=p.get("balance_outcome"),
        refund=t.money(_minor(p, "refund"), currency),
        transfer=t.money(_minor(p, "transfer"), currency),
        forfeit=t.money(_minor(p, "forfeit"), currency),
        has_refund=_minor(p, "refund") > 0,
        has_transfer=_minor(p, "transfer") > 0,
        has_forfeit=_minor(p, "forfeit") > 0,
        quarantine_until=t.date(p.get("quarantine_until")),
        sim_return_required=bool(p.get("sim_return_required")),
        blockers=[finding_text(t, f, currency) for f in p.get("blockers", ())],
        review_reasons=[finding_text(t, f, currency) for f in p.get("review_reasons", ())],
        checklist=[
            finding_text(t, f, currency)
            for f in p.get("checklist", ())
            if f.get("code") != "choose_balance_outcome"
        ],
        alternatives=[
            (str(f["code"]), finding_text(t, f, currency)) for f in p.get("alternatives", ())
        ],
        balance_options=options,
        identity_methods=[str(m) for m in p.get("identity_methods", ())],
    )


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    what: str
    who: str
    note: str | None


def timeline(t: Texts, events: list[AuditEvent], *, staff_view: bool) -> list[TimelineEntry]:
    """Audit rows as sentences; staff also see who acted (a role word, plus the staff e-mail)."""
    out = []
    for event in events:
        who = actor_text(t, f"{event.actor_type}:{event.actor_id}") if staff_view else ""
        out.append(
            TimelineEntry(
                when=t.date(event.at.date()) + " " + event.at.strftime("%H:%M") + " UTC",
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
    currency = str((case.preview or {}).get("currency") or "") or None
    return CaseFindings(
        blockers=[finding_text(t, f, currency) for f in case.blockers or ()],
        review_reasons=[finding_text(t, f, currency) for f in case.review_reasons or ()],
        rejection=label(t, REJECTION, case.rejection_reason),
        decision_note=case.decision_note or "",
        sla_due=t.date(case.sla_due_date) if case.status in OPEN_FOR_SLA else "",
        overdue=is_overdue(case, today),
    )


OPEN_FOR_SLA = frozenset({"submitted", "in_review", "blocked"})


def is_overdue(case: Case, today: date) -> bool:
    return (
        case.sla_due_date is not None and case.sla_due_date < today and case.status in OPEN_FOR_SLA
    )


def case_preview(case: Case) -> dict[str, Any]:
    return dict(case.preview or {})
