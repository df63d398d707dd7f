"""The campaigns the packs call for, each read from a pack rule, as drafts to dry-run and approve:

* a dormant prepaid sweep, from `prepaid.inactivity`: for a rule that bars or ends a line after
  N days without a top-up (or chargeable event, or at zero balance), a warning step (lines that reach N days within
  `warn_days`) and the step the rule says (suspend, or terminate);
* a SIM-count enforcement, from a `max_sim_count` regulatory gate (Russia: 20 per person): the
  lines beyond the first `limit` of each subscriber, by activation date; a warning naming each
  such line, then its suspension (regulatory flag);
* a brand closure: every line of one of the operator's brands, terminated with the pack's notice.

Pure: the pack's document and today in, `Preset`s out (or the reason there is none)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from simexit.campaigns.rules import Action, Selection
from simexit.errors import InvalidInput
from simexit.policies.schema import GateRule, InactivityRule, PackDocument


class PresetKind(StrEnum):
    dormant_sweep = "dormant_sweep"
    sim_limit = "sim_limit"
    brand_closure = "brand_closure"


class Step(StrEnum):
    warn = "warn"  # tell the subscribers what will happen, and when
    act = "act"  # do what the rule says


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    action: Action
    selection: Selection
    params: dict[str, Any] = field(default_factory=dict)


class NoSuchRule(InvalidInput):
    code = "pack_rule_missing"


_LINE_ACTIONS = {"suspend_outgoing": Action.suspend, "terminate": Action.terminate}


def dormant_sweep(
    doc: PackDocument, *, today: date, step: Step, warn_days: int, rule_index: int | None
) -> Preset:
    """From the pack's inactivity rule that acts on the line (the last one when several: the
    end of the road), or the one at `rule_index`."""
    acting = [
        (i, ev) for i, ev in enumerate(doc.prepaid.inactivity) if ev.value.action in _LINE_ACTIONS
    ]
    if rule_index is not None:
        acting = [(i, ev) for i, ev in acting if i == rule_index]
    if not acting:
        raise NoSuchRule(
            f"pack {doc.pack.id} has no prepaid.inactivity rule that suspends or ends a line "
            "after days without a top-up or chargeable event, or at zero balance (a daily fee "
            "is billing's)",
            field="preset",
        )
    index, ev = acting[-1]
    rule = ev.value
    threshold = today - timedelta(days=rule.after_days)
    source = {"pack": doc.pack.id, "rule": f"prepaid.inactivity[{index}]", "src": list(ev.src)}
    if step is Step.act:
        return Preset(
            name=f"Dormant prepaid: {rule.action} after {rule.after_days} days ({doc.pack.id})",
            action=_LINE_ACTIONS[rule.action],
            selection=_dormant(rule, threshold),
            params={"flag": "regulatory", "source": source},
        )
    effective = today + timedelta(days=warn_days)
    return Preset(
        name=f"Dormant prepaid warning: {rule.action} from {effective} ({doc.pack.id})",
        action=Action.notify,
        selection=_dormant(rule, threshold + timedelta(days=warn_days)),
        params={
            "notice": {
                "kind": "dormant_" + ("terminate" if rule.action == "terminate" else "suspend"),
                "date": effective.isoformat(),
            },
            "source": source,
        },
    )


def _dormant(rule: InactivityRule, before: date) -> Selection:
    if rule.trigger == "zero_balance":
        # At zero now and not topped up for the rule's days: at zero at most that long (the
        # line's history of balances is the BSS's; docs/campaigns.md).
        return Selection(
            plan="prepaid", statuses=("active",), zero_balance=True, last_topup_before=before
        )
    if rule.trigger == "no_topup":
        return Selection(plan="prepaid", statuses=("active",), last_topup_before=before)
    return Selection(plan="prepaid", statuses=("active",), last_activity_before=before)


def sim_limit(doc: PackDocument, *, today: date, step: Step, warn_days: int) -> Preset:
    gates = [
        (name, ev) for name, ev in doc.regulatory_gates.items()
        if ev.value.rule is GateRule.max_sim_count and "limit" in ev.value.params
    ]  # fmt: skip
    if not gates:
        raise NoSuchRule(f"pack {doc.pack.id} has no max_sim_count regulatory gate", field="preset")
    name, ev = min(gates, key=lambda g: int(g[1].value.params["limit"]))
    limit = int(ev.value.params["limit"])
    selection = Selection(sims_over=limit, beyond_first=limit)
    source = {"pack": doc.pack.id, "rule": f"regulatory_gates.{name}", "src": list(ev.src)}
    if step is Step.act:
        return Preset(
            name=f"SIM-count limit {limit}: block the lines over it ({doc.pack.id})",
            action=Action.suspend,
            selection=selection,
            params={"flag": "regulatory", "source": source},
        )
    effective = today + timedelta(days=warn_days)
    return Preset(
        name=f"SIM-count limit {limit}: warn the holders of lines over it ({doc.pack.id})",
        action=Action.notify,
        selection=selection,
        params={
            "notice": {"kind": "sim_limit", "date": effective.isoformat(), "limit": limit},
            "source": source,
        },
    )


def brand_closure(doc: PackDocument, *, brand: str | None) -> Preset:
    brands = doc.pack.operator.brands if doc.pack.operator else ()
    if not brand or brand not in brands:
        raise NoSuchRule(
            f"name one of the brands of pack {doc.pack.id}: {', '.join(brands) or 'none listed'}",
            field="brand",
        )
    return Preset(
        name=f"Brand closure: {brand}",
        action=Action.terminate,
        selection=Selection(brand=brand),
        params={"reason_code": "brand_closure", "source": {"pack": doc.pack.id, "brand": brand}},
    )
