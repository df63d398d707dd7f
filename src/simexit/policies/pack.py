"""A loaded, merged policy pack: accessors for the rest of simexit and compiled rule variants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from simexit.policies.dates import add_months
from simexit.policies.model import LineKind, Plan
from simexit.policies.rules import CompiledRules
from simexit.policies.schema import Ev, PackDocument, Source

VariantKey = tuple[Plan, LineKind, str | None]


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

    def to_public_dict(self) -> dict[str, Any]:
        """JSON-safe merged pack; every evidenced value as {value, status, sources, as_of, note}."""
        body = public_value(self.document)
        assert isinstance(body, dict)  # noqa: S101 - a model dumps to a dict
        body.pop("products", None)
        body["layers"] = list(self.files)
        body["overrides"] = {name: public_raw(layer) for name, layer in self.overrides.items()}
        return body


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
