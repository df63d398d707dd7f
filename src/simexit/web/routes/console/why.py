"""Why a case waits for a person, naming the rule: each review reason with the pack values it
rests on (the key path, how sure the value is) and their sources (title and address)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simexit.policies.model import Evidence, EvidenceStatus, Finding
from simexit.policies.schema import Source
from simexit.web.i18n import N_, Texts
from simexit.web.texts import EVIDENCE, finding_text, label

# The queue's "why in review" column: a few words per review code ({rules}: the key paths).
REVIEW_SHORT = {
    "manual_review_policy": N_("Operator checks every request"),
    "unverified_policy_value": N_("Rule not confirmed: {rules}"),
    "commitment_benefit_unknown": N_("Early exit amount unknown"),
    "monthly_fee_unknown": N_("Monthly fee unknown"),
    "commitment_kind_unknown": N_("Commitment kind unknown"),
    "identity_method_differs": N_("Other ID check used"),
    "instalment_plan_needed": N_("Instalment plan needed"),
}


@dataclass(frozen=True)
class SourceView:
    title: str
    url: str | None  # None for a source cited in research notes only


@dataclass(frozen=True)
class RuleView:
    path: str  # the rule's name: its key in the operator's policy pack
    status: str  # how sure the value is, in words
    unconfirmed: bool
    sources: list[SourceView]
    note: str | None = None  # the pack's word on the value: why it is unconfirmed, what it covers


@dataclass(frozen=True)
class ReasonView:
    text: str
    rules: list[RuleView]


def _rules(finding: Finding) -> list[str]:
    paths = finding.params.get("paths")
    if isinstance(paths, list) and paths:
        return [str(p) for p in paths]
    return [e.path for e in finding.evidence]


def short_reason(t: Texts, finding: Finding, currency: str | None = None) -> str:
    """The reason in a few words for the queue, naming the rules where it rests on some."""
    template = REVIEW_SHORT.get(finding.code)
    if template is None:
        return finding_text(t, finding, currency)
    return t(template, rules=", ".join(_rules(finding))) if "{rules}" in template else t(template)


def _notes(finding: Finding) -> dict[str, str]:
    """The pack's notes the engine wrote into a strict-mode review reason, by rule path."""
    rules = finding.params.get("rules")
    if not isinstance(rules, list):
        return {}
    return {
        str(r["path"]): str(r["note"])
        for r in rules
        if isinstance(r, dict) and r.get("path") and r.get("note")
    }


def _rule(
    t: Texts, evidence: Evidence, sources: Mapping[str, Source], note: str | None = None
) -> RuleView:
    return RuleView(
        note=note,
        path=evidence.path,
        status=label(t, EVIDENCE, evidence.status.value),
        unconfirmed=evidence.status is EvidenceStatus.unverified,
        sources=[
            SourceView(
                title=sources[s].title if s in sources else s,
                url=sources[s].url if s in sources and sources[s].url.startswith("http") else None,
            )
            for s in evidence.sources
        ],
    )


def reasons(
    t: Texts,
    findings: tuple[Finding, ...],
    sources: Mapping[str, Source],
    currency: str | None = None,
) -> list[ReasonView]:
    """Each finding as its sentence and the rules it rests on, with their evidence."""
    return [
        ReasonView(
            text=finding_text(t, f, currency),
            rules=[_rule(t, e, sources, _notes(f).get(e.path)) for e in dict.fromkeys(f.evidence)],
        )
        for f in findings
    ]
