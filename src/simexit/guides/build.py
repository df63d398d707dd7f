"""Build a guide from a pack's public form (`Pack.to_public_dict()`). Pure: plain data in and out.

A guide walks the procedure in steps: prepare, request, verify, wait, settle, confirm,
afterwards. Each step is a list of rules; each rule carries a stable `code`, its parameters, the
evidence of the pack value behind it (status V/S/U and the sources) and the lines it applies to
(every line, or a product or region layer: prepaid, data-only, California...). Words are chosen
later, per language, by the web layer: this module decides *what* the guide says, never *how*.

The product and region layers of the pack (`variants`) are walked too: a rule that reads
differently for, say, data-only lines is given again for those lines.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The login services people tie to their number, by the operator's country: the guide's
# checklist and the portal's (where the operator flagged nothing, it cannot know) say the same.
COUNTRY_LOGINS: Mapping[str, tuple[str, ...]] = {
    "NO": ("bankid", "bank", "two_factor"),
    "RU": ("gosuslugi", "bank", "two_factor"),
    "US": ("bank", "two_factor"),
}
# Channels people cannot use themselves: simexit's partner API and the operator's own staff.
INTERNAL_CHANNELS = frozenset({"api", "agent"})
STEPS = ("prepare", "request", "verify", "wait", "settle", "confirm", "afterwards")
EVERY_LINE: tuple[str, ...] = ()
PREPAID: tuple[str, ...] = ("prepaid",)


@dataclass(frozen=True, slots=True)
class GuideSource:
    id: str
    title: str
    url: str
    kind: str
    retrieved: str | None = None

    @property
    def is_link(self) -> bool:
        return self.url.startswith(("https://", "http://"))


@dataclass(frozen=True, slots=True)
class GuideRule:
    code: str
    params: dict[str, Any]
    status: str  # V | S | U; "" for facts simexit itself guarantees
    sources: tuple[GuideSource, ...] = ()
    note: str | None = None
    lines: tuple[str, ...] = EVERY_LINE  # the products and regions it is for; () = every line


@dataclass(frozen=True, slots=True)
class GuideSection:
    code: str
    rules: tuple[GuideRule, ...]


@dataclass(frozen=True, slots=True)
class Guide:
    pack_id: str
    country: str
    currency: str
    legal_name: str | None
    brands: tuple[str, ...]
    reviewed: str | None
    sections: tuple[GuideSection, ...]
    web_channel: bool = field(default=False)
    org_id: str | None = None


def _get(data: Any, *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _value(data: Any, *path: str) -> Any:
    return _get(data, *path, "value")


class _Builder:
    def __init__(self, pack: Mapping[str, Any], lines: tuple[str, ...]) -> None:
        self.pack = pack
        self.lines = lines
        self.currency = str(_get(pack, "locale", "currency") or "")
        raw_sources = pack.get("sources") or {}
        self.sources = {
            key: GuideSource(
                key,
                str(s.get("title", key)),
                str(s.get("url", "")),
                str(s.get("kind", "")),
                str(s["retrieved"]) if s.get("retrieved") else None,
            )
            for key, s in raw_sources.items()
        }

    def rule(
        self, code: str, evidenced: Any, lines: tuple[str, ...] = EVERY_LINE, **params: Any
    ) -> GuideRule | None:
        if not isinstance(evidenced, Mapping) or "value" not in evidenced:
            return None
        return GuideRule(
            code=code,
            params={"value": evidenced["value"], **params},
            status=str(evidenced.get("status", "")),
            sources=tuple(
                self.sources[s] for s in evidenced.get("sources", ()) if s in self.sources
            ),
            note=evidenced.get("note"),
            lines=lines or self.lines,
        )

    def fact(self, code: str, lines: tuple[str, ...] = EVERY_LINE, **params: Any) -> GuideRule:
        """A step simexit itself gives every subscriber (the portal's checklist), not a pack value."""
        return GuideRule(code, params, "", lines=lines or self.lines)

    def money(self, *path: str) -> Any:
        return _value(self.pack, *path)


def _keep(*rules: GuideRule | None) -> tuple[GuideRule, ...]:
    return tuple(r for r in rules if r is not None)


def _prepare(b: _Builder) -> tuple[GuideRule, ...]:
    p = b.pack
    country = str(_get(p, "pack", "country") or "")
    return _keep(
        b.rule("who_may_cancel", _get(p, "identity", "who_may_cancel")),
        b.fact("checklist", finding="backup_sim_contacts"),
        b.fact("checklist", ("data_only",), finding="backup_data_card"),
        b.fact(
            "checklist",
            finding="move_two_factor",
            services=list(COUNTRY_LOGINS.get(country, ("bank", "two_factor"))),
        ),
        b.fact("checklist", finding="unbind_autopay"),
        b.fact("checklist", finding="cancel_third_party_billing"),
        b.fact("checklist", finding="keep_id_and_purchase_proof"),
        b.rule("unpaid_bills", _get(p, "cancellation", "unpaid_bills")),
        _nonempty(b.rule("preconditions", _get(p, "cancellation", "termination_preconditions"))),
        b.rule("min_topup_age", _get(p, "prepaid", "min_days_since_last_topup"), PREPAID),
    )


def _nonempty(rule: GuideRule | None) -> GuideRule | None:
    return rule if rule is not None and rule.params.get("value") else None


def _channel_rows(channels: Any) -> list[dict[str, Any]]:
    return [
        {
            "channel": c.get("channel"),
            "identity": list(c.get("identity") or ()),
            "address": c.get("address"),
            "via_simexit": bool(c.get("via_simexit")),
            "plans": list(c.get("plans") or ()),
        }
        for c in (_get(channels, "value") or ())
        if "terminate" in (c.get("request_types") or ())
        and c.get("channel") not in INTERNAL_CHANNELS
        and c.get("channel") != "port_in_operator"
    ]


def _request(b: _Builder) -> tuple[GuideRule, ...]:
    p = b.pack
    channels = _get(p, "cancellation", "channels")
    rows = _channel_rows(channels)
    channels_rule = b.rule("channels", {**channels, "value": rows}) if channels else None
    gates = [
        b.rule("gate", gate, id=gate_id)
        for gate_id, gate in sorted((_get(p, "regulatory_gates") or {}).items())
    ]
    inactivity = [
        b.rule("inactivity", rule, PREPAID, currency=b.currency)
        for rule in (_get(p, "prepaid", "inactivity") or ())
    ]
    return _keep(
        channels_rule,
        *gates,
        b.rule(
            "porting",
            _get(p, "porting", "ends_donor_contract"),
            authorisation=_value(p, "porting", "authorisation"),
            min_days=_value(p, "porting", "min_lead_days"),
            max_days=_value(p, "porting", "max_lead_days"),
            fee=b.money("porting", "fee"),
            currency=b.currency,
        ),
        *inactivity,
        b.rule(
            "suspension",
            _get(p, "suspension", "allowed"),
            max_days=_value(p, "suspension", "max_days"),
            fee=b.money("suspension", "fee"),
            currency=b.currency,
        ),
    )


def _verify(b: _Builder) -> tuple[GuideRule, ...]:
    p = b.pack
    return _keep(
        b.rule("identity", _get(p, "identity", "at_termination")),
        b.rule("document_check", _get(p, "identity", "document_check_record_required")),
    )


def _wait(b: _Builder) -> tuple[GuideRule, ...]:
    p = b.pack
    cancel = p.get("cancellation") or {}
    return _keep(
        b.rule(
            "review_sla",
            _get(p, "review", "sla_business_days"),
            calendar=_value(p, "review", "calendar"),
        ),
        b.rule(
            "effective_rule",
            _get(cancel, "notice", "effective_rule"),
            n_days=_value(cancel, "notice", "n_days"),
        ),
        b.rule("cooling_off", _get(cancel, "cooling_off_days")),
    )


def _settle(b: _Builder) -> tuple[GuideRule, ...]:
    p = b.pack
    cancel = p.get("cancellation") or {}
    commitment = cancel.get("commitment") or {}
    early_exit = [
        b.rule("early_exit", item, currency=b.currency)
        for item in (commitment.get("early_exit") or ())
    ]
    return _keep(
        b.rule("cancellation_fee", _get(cancel, "cancellation_fee"), currency=b.currency),
        b.rule("max_months", commitment.get("max_months")),
        *early_exit,
        b.rule("adverse_change", commitment.get("free_exit_on_adverse_change")),
        b.rule("overbilled", _get(cancel, "notice", "refund_overbilled_beyond_notice")),
        b.rule("device_balance", _get(cancel, "device_balance_due_on_cancel")),
        b.rule("balance", _get(p, "prepaid", "balance_on_cancel"), PREPAID, currency=b.currency),
        b.rule("refund_on_switch", _get(p, "prepaid", "refund_on_switch"), PREPAID),
    )


def _confirm(b: _Builder) -> tuple[GuideRule, ...]:
    return _keep(b.rule("confirmation", _get(b.pack, "review", "confirmation_channels")))


def _afterwards(b: _Builder) -> tuple[GuideRule, ...]:
    p = b.pack
    data = p.get("data_protection") or {}
    retention = [
        b.rule("retention", rule, category=category)
        for category, rule in sorted((data.get("retention") or {}).items())
    ]
    return _keep(
        b.fact("checklist", ("esim",), finding="esim_delete_after_completion"),
        # A fact simexit guarantees for every operator (DESIGN.md §4), not a pack value.
        b.fact("esim_delete", value=bool(_get(p, "sim", "esim_profile_deletion_cancels"))),
        b.rule(
            "sim_return",
            _get(p, "sim", "physical_return_required"),
            days=_value(p, "sim", "return_within_days"),
            fee=b.money("sim", "non_return_fee"),
            currency=b.currency,
        ),
        b.rule(
            "reactivation",
            _get(p, "reactivation", "window_days"),
            fee=b.money("reactivation", "fee"),
            currency=b.currency,
        ),
        b.rule(
            "quarantine",
            _get(p, "numbering", "quarantine_days"),
            max_days=_value(p, "numbering", "quarantine_max_days"),
        ),
        _true(b.rule("disconnection_date", _get(p, "numbering", "record_disconnection_date"))),
        b.rule("regime", data.get("regime")),
        *retention,
        b.rule(
            "erasure",
            data.get("erasure_deadline_days"),
            months=_value(data, "erasure_deadline_months"),
        ),
    )


def _true(rule: GuideRule | None) -> GuideRule | None:
    return rule if rule is not None and rule.params.get("value") is True else None


SECTIONS: tuple[tuple[str, Callable[[_Builder], tuple[GuideRule, ...]]], ...] = (
    ("prepare", _prepare),
    ("request", _request),
    ("verify", _verify),
    ("wait", _wait),
    ("settle", _settle),
    ("confirm", _confirm),
    ("afterwards", _afterwards),
)


def _sections(pack: Mapping[str, Any], lines: tuple[str, ...]) -> list[tuple[str, list[GuideRule]]]:
    builder = _Builder(pack, lines)
    return [(code, list(step(builder))) for code, step in SECTIONS]


def _overlaid(pack: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The base pack with a variant's changed values written in (dotted paths)."""
    merged: dict[str, Any] = copy.deepcopy(dict(pack))
    for path, leaf in values.items():
        node: Any = merged
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            index = int(parts[-1])
            node.extend([None] * (index + 1 - len(node)))
            node[index] = leaf
        else:
            node[parts[-1]] = leaf
    return merged


def _variant_lines(name: str) -> tuple[str, ...]:
    """`products.prepaid + regions.CA` -> ("prepaid", "CA")."""
    return tuple(part.split(".", 1)[1] for part in name.split(" + "))


def _same(a: GuideRule, b: GuideRule) -> bool:
    return (a.code, a.params, a.status, a.sources) == (b.code, b.params, b.status, b.sources)


def build_guide(pack: Mapping[str, Any]) -> Guide:
    sections = _sections(pack, EVERY_LINE)
    variants: Sequence[Mapping[str, Any]] = sorted(
        pack.get("variants") or (), key=lambda v: len(str(v["name"]).split(" + "))
    )
    for variant in variants:
        lines = _variant_lines(str(variant["name"]))
        overlaid = _sections(_overlaid(pack, variant.get("values") or {}), lines)
        for (_, rules), (_, theirs) in zip(sections, overlaid, strict=True):
            for rule in theirs:
                if not any(_same(rule, mine) for mine in rules):
                    rules.append(rule)
    header = pack.get("pack") or {}
    channels = _channel_rows(_get(pack, "cancellation", "channels"))
    return Guide(
        pack_id=str(header.get("id") or ""),
        country=str(header.get("country") or ""),
        currency=str(_get(pack, "locale", "currency") or ""),
        legal_name=_get(header, "operator", "legal_name"),
        brands=tuple(_get(header, "operator", "brands") or ()),
        reviewed=str(header["reviewed"]) if header.get("reviewed") else None,
        sections=tuple(GuideSection(code, tuple(rules)) for code, rules in sections if rules),
        web_channel=any(row["channel"] in {"web", "app"} for row in channels),
        org_id=_get(header, "operator", "org_id"),
    )
