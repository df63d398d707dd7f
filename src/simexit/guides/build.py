"""Build a guide from a pack's public form (`Pack.to_public_dict()`). Pure: plain data in and out.

A guide is a list of sections; each rule carries a stable `code`, its parameters and the evidence
of the pack value behind it (status V/S/U and the sources). Words are chosen later, per language,
by the web layer: this module decides *what* the guide says, never *how* it is phrased.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class GuideSource:
    id: str
    title: str
    url: str
    kind: str

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


def _get(data: Mapping[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


class _Builder:
    def __init__(self, pack: Mapping[str, Any]) -> None:
        self.pack = pack
        raw_sources = pack.get("sources") or {}
        self.sources = {
            key: GuideSource(
                key, str(s.get("title", key)), str(s.get("url", "")), str(s.get("kind", ""))
            )
            for key, s in raw_sources.items()
        }

    def rule(self, code: str, evidenced: Any, **params: Any) -> GuideRule | None:
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
        )


def _keep(*rules: GuideRule | None) -> tuple[GuideRule, ...]:
    return tuple(r for r in rules if r is not None)


def build_guide(pack: Mapping[str, Any]) -> Guide:
    b = _Builder(pack)
    currency = str(_get(pack, "locale", "currency") or "")
    cancel = pack.get("cancellation") or {}
    channels = _get(cancel, "channels") or {}
    channel_rows = [
        {
            "channel": c.get("channel"),
            "identity": list(c.get("identity") or ()),
            "address": c.get("address"),
        }
        for c in (channels.get("value") or ())
        if "terminate" in (c.get("request_types") or ()) and c.get("channel") != "port_in_operator"
    ]
    channels_rule = b.rule("channels", {**channels, "value": channel_rows}) if channels else None
    early_exit = [
        b.rule("early_exit", item, currency=currency)
        for item in (_get(cancel, "commitment", "early_exit") or ())
    ]
    balance = _get(pack, "prepaid", "balance_on_cancel")
    sections = (
        GuideSection(
            "how",
            _keep(channels_rule, b.rule("identity", _get(pack, "identity", "at_termination"))),
        ),
        GuideSection(
            "when",
            _keep(
                b.rule(
                    "effective_rule",
                    _get(cancel, "notice", "effective_rule"),
                    n_days=_get(cancel, "notice", "n_days", "value"),
                ),
                b.rule("review_sla", _get(pack, "review", "sla_business_days")),
                b.rule("cooling_off", _get(cancel, "cooling_off_days")),
            ),
        ),
        GuideSection(
            "money",
            _keep(
                b.rule("cancellation_fee", _get(cancel, "cancellation_fee"), currency=currency),
                *early_exit,
                b.rule("device_balance", _get(cancel, "device_balance_due_on_cancel")),
                b.rule("unpaid_bills", _get(cancel, "unpaid_bills")),
                b.rule("balance", balance, currency=currency),
                b.rule("min_topup_age", _get(pack, "prepaid", "min_days_since_last_topup")),
            ),
        ),
        GuideSection(
            "sim",
            _keep(
                b.rule(
                    "sim_return",
                    _get(pack, "sim", "physical_return_required"),
                    days=_get(pack, "sim", "return_within_days", "value"),
                    fee=_get(pack, "sim", "non_return_fee", "value"),
                    currency=currency,
                ),
                # A fact simexit guarantees for every operator (DESIGN.md §4), not a pack value.
                GuideRule(
                    "esim_delete",
                    {"value": bool(_get(pack, "sim", "esim_profile_deletion_cancels"))},
                    "",
                ),
            ),
        ),
        GuideSection(
            "alternatives",
            _keep(
                b.rule(
                    "porting",
                    _get(pack, "porting", "ends_donor_contract"),
                    fee=_get(pack, "porting", "fee", "value"),
                    currency=currency,
                ),
                b.rule(
                    "suspension",
                    _get(pack, "suspension", "allowed"),
                    max_days=_get(pack, "suspension", "max_days", "value"),
                    fee=_get(pack, "suspension", "fee", "value"),
                    currency=currency,
                ),
                b.rule(
                    "reactivation",
                    _get(pack, "reactivation", "window_days"),
                    fee=_get(pack, "reactivation", "fee", "value"),
                    currency=currency,
                ),
                b.rule("quarantine", _get(pack, "numbering", "quarantine_days")),
            ),
        ),
    )
    return Guide(
        pack_id=str(_get(pack, "pack", "id") or ""),
        country=str(_get(pack, "pack", "country") or ""),
        currency=currency,
        legal_name=_get(pack, "pack", "operator", "legal_name"),
        brands=tuple(_get(pack, "pack", "operator", "brands") or ()),
        reviewed=str(_get(pack, "pack", "reviewed")) if _get(pack, "pack", "reviewed") else None,
        sections=tuple(s for s in sections if s.rules),
        web_channel=any(row["channel"] in {"web", "app"} for row in channel_rows),
    )
