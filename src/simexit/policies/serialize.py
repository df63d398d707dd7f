"""A Decision as JSON-safe data and back, exactly: it is frozen into a case as the subscriber's receipt.

Dates are ISO strings; money is `{"amount": "12.50", "currency": "NOK", "minor": 1250}` (the
minor units are what is read back; `amount` is for people and other systems). Finding params are
JSON-native already (the engine writes dates and money into them as strings and dicts).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from simexit.kit.money import Money
from simexit.policies.model import Decision, Evidence, EvidenceStatus, Finding, MoneyItem, Outcome

SCHEMA_VERSION = 1


def money_to_dict(amount: Money) -> dict[str, Any]:
    return {"amount": amount.as_str(), "currency": amount.currency, "minor": amount.minor}


def money_from_dict(data: dict[str, Any]) -> Money:
    if "minor" in data:
        money = Money(int(data["minor"]), str(data["currency"]))
        if "amount" in data and Money.parse(str(data["amount"]), money.currency) != money:
            raise ValueError(
                f"money amount {data['amount']!r} does not match minor units {data['minor']}"
            )
        return money
    return Money.parse(str(data["amount"]), str(data["currency"]))


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_date(value: Any) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    return {
        "path": evidence.path,
        "status": evidence.status.value,
        "sources": list(evidence.sources),
    }


def _evidence_from_dict(data: dict[str, Any]) -> Evidence:
    return Evidence(
        path=data["path"], status=EvidenceStatus(data["status"]), sources=tuple(data["sources"])
    )


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "params": copy.deepcopy(finding.params),
        "evidence": [_evidence_to_dict(e) for e in finding.evidence],
    }


def finding_from_dict(data: dict[str, Any]) -> Finding:
    return Finding(
        code=data["code"],
        params=copy.deepcopy(data.get("params", {})),
        evidence=tuple(_evidence_from_dict(e) for e in data.get("evidence", ())),
    )


def decision_to_dict(d: Decision) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "outcome": d.outcome.value,
        "effective_date": _date(d.effective_date),
        "billing_end_date": _date(d.billing_end_date),
        "sla_due_date": _date(d.sla_due_date),
        "currency": d.currency,
        "charges": [
            {
                "code": item.code,
                "amount": money_to_dict(item.amount),
                "evidence": [_evidence_to_dict(e) for e in item.evidence],
            }
            for item in d.charges
        ],
        "total_due": money_to_dict(d.total_due),
        "balance_outcome": d.balance_outcome,
        "refund": money_to_dict(d.refund),
        "transfer": money_to_dict(d.transfer),
        "forfeit": money_to_dict(d.forfeit),
        "applied_to_debt": money_to_dict(d.applied_to_debt)
        if d.applied_to_debt is not None
        else None,
        "blockers": [finding_to_dict(f) for f in d.blockers],
        "review_reasons": [finding_to_dict(f) for f in d.review_reasons],
        "identity_methods": list(d.identity_methods),
        "quarantine_until": _date(d.quarantine_until),
        "reactivation_deadline": _date(d.reactivation_deadline),
        "sim_return_required": d.sim_return_required,
        "sim_return_deadline": _date(d.sim_return_deadline),
        "checklist": [finding_to_dict(f) for f in d.checklist],
        "alternatives": [finding_to_dict(f) for f in d.alternatives],
        "evidence": [_evidence_to_dict(e) for e in d.evidence],
        "pack_id": d.pack_id,
        "pack_reviewed": _date(d.pack_reviewed),
        "confirmation_channels": list(d.confirmation_channels),
    }


def decision_from_dict(data: dict[str, Any]) -> Decision:
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ValueError(f"decision schema_version {version!r} is not {SCHEMA_VERSION}")
    debt = data.get("applied_to_debt")
    return Decision(
        outcome=Outcome(data["outcome"]),
        effective_date=_parse_date(data["effective_date"]),
        billing_end_date=_parse_date(data["billing_end_date"]),
        sla_due_date=_parse_date(data["sla_due_date"]),
        currency=data["currency"],
        charges=tuple(
            MoneyItem(
                code=item["code"],
                amount=money_from_dict(item["amount"]),
                evidence=tuple(_evidence_from_dict(e) for e in item.get("evidence", ())),
            )
            for item in data["charges"]
        ),
        balance_outcome=data["balance_outcome"],
        refund=money_from_dict(data["refund"]),
        transfer=money_from_dict(data["transfer"]),
        forfeit=money_from_dict(data["forfeit"]),
        blockers=tuple(finding_from_dict(f) for f in data["blockers"]),
        review_reasons=tuple(finding_from_dict(f) for f in data["review_reasons"]),
        identity_methods=tuple(data["identity_methods"]),
        quarantine_until=_parse_date(data["quarantine_until"]),
        reactivation_deadline=_parse_date(data["reactivation_deadline"]),
        sim_return_required=bool(data["sim_return_required"]),
        sim_return_deadline=_parse_date(data["sim_return_deadline"]),
        checklist=tuple(finding_from_dict(f) for f in data["checklist"]),
        alternatives=tuple(finding_from_dict(f) for f in data["alternatives"]),
        evidence=tuple(_evidence_from_dict(e) for e in data["evidence"]),
        pack_id=data["pack_id"],
        pack_reviewed=_parse_date(data["pack_reviewed"]),
        applied_to_debt=money_from_dict(debt) if debt is not None else None,
        confirmation_channels=tuple(data.get("confirmation_channels", ())),
    )
