"""A loaded, merged policy pack: accessors for the rest of simexit and compiled rule variants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from simexit.policies.dates import add_months
from simexit.policies.model import LineKind, Plan
from simexit.policies.rules import CompiledRules
from simexit.policies.schema import Ev, PackDocument, Source

VariantKey = tuple[Plan, LineKind, str | None]


@dataclass(frozen=True, eq=False)
class LayerView:
    """One variant's merged document and which pack layer wrote each key path ("a.b.c")."""

    document: PackDocument
    written_by: Mapping[str, str]

    @cached_property
    def leaves(self) -> dict[str, dict[str, Any]]:
        """Every evidenced value of this variant in public form, by dotted path."""
        return dict(evidenced_leaves(public_value(self.document)))

    def layer_of(self, path: str) -> str | None:
        """The layer that wrote `path` or the nearest key above it; None: a schema default."""
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            found = self.written_by.get(".".join(parts[:cut]))
            if found is not None:
                return found
        return None


@dataclass(frozen=True, eq=False)
class Pack:
    """One operator's (or country's) rules after country -> operator layering.

    `document` is the base layer set; `variants` holds the compiled rules for every
    (plan, kind, region) combination the product and region overrides produce.
    """

    document: PackDocument
    variants: Mapping[VariantKey, CompiledRules]
    files: tuple[str, ...]  # the layer files, country first
    overrides: Mapping[str, dict[str, Any]] = field(
        default_factory=dict
    )  # "products.prepaid" -> raw layer
    # Merged documents by variant name ("base", "products.prepaid + regions.CA", ...).
    views: Mapping[str, LayerView] = field(default_factory=dict)
    view_of: Mapping[VariantKey, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.document.pack.id

    @property
    def kind(self) -> str:
        return self.document.pack.kind

    @property
    def country(self) -> str:
        return self.document.pack.country

    @property
    def currency(self) -> str:
        return self.document.locale.currency

    @property
    def timezone(self) -> str:
        return self.document.locale.timezone

    @property
    def languages(self) -> tuple[str, ...]:
        return self.document.locale.languages

    @property
    def reviewed(self) -> date | None:
        return self.document.pack.reviewed

    @property
    def sources(self) -> Mapping[str, Source]:
        return self.document.sources

    @property
    def quarantine_days(self) -> int | None:
        return self.document.numbering.quarantine_days.value

    @property
    def mobile_country_codes(self) -> tuple[str, ...]:
        return self.document.numbering.mobile_country_codes.value

    @property
    def sla_calendar(self) -> str:
        return self.document.review.calendar.value.removeprefix("holidays:")

    @property
    def sla_business_days(self) -> int:
        return self.document.review.sla_business_days.value

    @property
    def review_mode(self) -> str:
        return self.document.review.mode.value.value

    @property
    def confirmation_channels(self) -> tuple[str, ...]:
        return self.document.review.confirmation_channels.value

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({region for (_, _, region) in self.variants if region is not None}))

    def retention_days(self, category: str) -> int | None:
        """Days to keep data of `category` after termination; None if unknown or open-ended."""
        rule = self.document.data_protection.retention.get(category)
        return None if rule is None else rule.value.days

    def erasure_due(self, requested_on: date) -> date | None:
        """The day an erasure asked for on `requested_on` must be done by; None when the pack
        names no deadline."""
        rules = self.document.data_protection
        months, days = rules.erasure_deadline_months.value, rules.erasure_deadline_days.value
        if months is not None:
            return add_months(requested_on, months)
        return requested_on + timedelta(days=days) if days is not None else None

    def rules_for(self, plan: Plan, kind: LineKind, region: str | None = None) -> CompiledRules:
        if region is not None:
            found = self.variants.get((plan, kind, region))
            if found is not None:
                return found
        return self.variants[(plan, kind, None)]

    def view_for(self, plan: Plan, kind: LineKind, region: str | None = None) -> LayerView:
        """The merged document (with its attribution) the rules of this variant come from."""
        name = self.view_of.get((plan, kind, region)) or self.view_of[(plan, kind, None)]
        return self.views[name]

    def evidence_details(
        self, plan: Plan, kind: LineKind, region: str | None, paths: list[str]
    ) -> list[dict[str, Any]]:
        """Each rule named by its path with how sure it is, why (the pack's note) and its sources
        with title and address: what a person reviewing a case needs to check it."""
        view = self.view_for(plan, kind, region)
        details = []
        for path in paths:
            leaf = view.leaves.get(path) or {}
            sources = [
                {
                    "id": s,
                    "title": view.document.sources[s].title,
                    "url": view.document.sources[s].url,
                }
                for s in leaf.get("sources", ())
                if s in view.document.sources
            ]
            details.append(
                {
                    "path": path,
                    "status": leaf.get("status", "U"),
                    "note": leaf.get("note"),
                    "sources": sources,
                }
            )
        return details

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-safe merged pack; every evidenced value as {value, status, sources, as_of, note,
        layer}: `layer` names the pack layer that gave it (`schema default` when none did).

        `variants` lists, for each product and region layer, the lines it applies to and every
        value that differs there from the base, attributed the same way.
        """
        base = self.views.get("base")
        merged = public_value(self.document)
        assert isinstance(merged, dict)  # noqa: S101 - a model dumps to a dict
        merged.pop("products", None)
        body: dict[str, Any] = attributed(merged, base) if base is not None else merged
        body["layers"] = list(self.files)
        body["overrides"] = {name: public_raw(layer) for name, layer in self.overrides.items()}
        body["variants"] = self._public_variants(body)
        return body

    def _public_variants(self, base: dict[str, Any]) -> list[dict[str, Any]]:
        base_leaves = dict(evidenced_leaves(base))
        variants: list[dict[str, Any]] = []
        for name, view in self.views.items():
            if name == "base":
                continue
            merged = public_value(view.document)
            merged.pop("products", None)
            leaves = evidenced_leaves(attributed(merged, view))
            changed = {
                path: leaf
                for path, leaf in leaves
                if path not in base_leaves
                or _without_layer(base_leaves[path]) != _without_layer(leaf)
            }
            lines = [
                {"plan": plan.value, "kind": kind.value, "region": region}
                for (plan, kind, region), used in self.view_of.items()
                if used == name
            ]
            variants.append({"name": name, "applies_to": lines, "values": changed})
        return variants


def _without_layer(leaf: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in leaf.items() if k != "layer"}


def attributed(node: Any, view: LayerView, path: str = "") -> Any:
    """A public dict with each evidenced value's `layer` added (the layer that wrote it)."""
    if isinstance(node, dict):
        if {"value", "status", "sources"} <= node.keys():
            return {**node, "layer": view.layer_of(path) or "schema default"}
        return {
            k: v if not path and k in ("pack", "sources") else attributed(v, view, _join(path, k))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [attributed(item, view, _join(path, str(i))) for i, item in enumerate(node)]
    return node


def evidenced_leaves(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(dotted path, evidenced value) for every evidenced value in a public dict."""
    if isinstance(node, dict):
        if {"value", "status", "sources"} <= node.keys():
            return [(path, node)]
        return [
            leaf
            for key, value in node.items()
            if path or key not in ("pack", "sources", "layers", "overrides", "variants")
            for leaf in evidenced_leaves(value, _join(path, str(key)))
        ]
    if isinstance(node, list):
        return [
            leaf
            for i, item in enumerate(node)
            for leaf in evidenced_leaves(item, _join(path, str(i)))
        ]
    return []


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def public_value(value: Any) -> Any:
    if isinstance(value, Ev):
        return {
            "value": public_value(value.value),
            "status": value.status.value,
            "sources": list(value.src),
            "as_of": value.as_of.isoformat() if value.as_of else None,
            "note": value.note,
        }
    if isinstance(value, BaseModel):
        return {name: public_value(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): public_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [public_value(v) for v in value]
    return public_raw(value)


def public_raw(value: Any) -> Any:
    """Raw YAML (or plain values) to JSON-safe data; evidenced dicts get the public key names."""
    if isinstance(value, dict):
        if "value" in value:
            return {
                "value": public_raw(value["value"]),
                "status": str(value.get("status", "V")),
                "sources": [str(s) for s in value.get("src", ())],
                "as_of": public_raw(value.get("as_of")),
                "note": value.get("note"),
            }
        return {str(k): public_raw(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [public_raw(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
