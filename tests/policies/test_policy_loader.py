"""The registry, layering and the accessors other parts of simexit read."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from simexit.policies.errors import UnknownPack
from simexit.policies.loader import PackRegistry, load_registry
from simexit.policies.model import LineKind, Plan

SHIPPED = [
    "no/ice",
    "no/telenor",
    "no/telia",
    "ru/beeline",
    "ru/megafon",
    "ru/mts",
    "ru/t2",
    "us/att",
    "us/tmobile",
    "us/verizon",
]


def test_shipped_operator_packs(registry: PackRegistry) -> None:
    assert registry.ids() == SHIPPED
    assert {"country/no", "country/us", "country/ru"} <= set(registry.all_ids())


def test_registry_is_cached() -> None:
    assert load_registry() is load_registry()


def test_unknown_pack(registry: PackRegistry) -> None:
    with pytest.raises(UnknownPack, match="unknown policy pack 'no/nope'") as caught:
        registry.get("no/nope")
    assert isinstance(caught.value, KeyError)


@pytest.mark.parametrize(
    ("pack_id", "country", "currency", "timezone", "languages", "calendar"),
    [
        ("no/telenor", "NO", "NOK", "Europe/Oslo", ("nb", "en"), "NO"),
        ("us/att", "US", "USD", "America/New_York", ("en",), "US"),
        ("ru/mts", "RU", "RUB", "Europe/Moscow", ("ru", "en"), "RU"),
    ],
)
def test_pack_accessors(
    registry: PackRegistry,
    pack_id: str,
    country: str,
    currency: str,
    timezone: str,
    languages: tuple[str, ...],
    calendar: str,
) -> None:
    pack = registry.get(pack_id)
    assert (pack.id, pack.country, pack.currency, pack.timezone) == (
        pack_id,
        country,
        currency,
        timezone,
    )
    assert pack.languages == languages
    assert pack.sla_calendar == calendar
    assert pack.reviewed == date(2026, 11, 22)


def test_operator_layers_over_country(registry: PackRegistry) -> None:
    telenor = registry.get("no/telenor")
    assert telenor.sources["ca_telenor"].kind == "secondary"
    assert "nkom_port" in telenor.sources  # inherited from country/no
    assert telenor.retention_days("ip_identification") == 365
    assert telenor.retention_days("no_such_category") is None
    assert registry.get("us/att").quarantine_days == 45
    assert registry.get("no/ice").retention_days("call_recordings") == 30


def test_product_and_region_variants(registry: PackRegistry) -> None:
    att = registry.get("us/att")
    assert att.regions == ("CA",)
    assert att.rules_for(Plan.postpaid, LineKind.esim, "CA").sla_calendar == "US-CA"
    assert att.rules_for(Plan.postpaid, LineKind.esim, "NY").sla_calendar == "US"
    telenor = registry.get("no/telenor")
    assert (
        telenor.rules_for(Plan.postpaid, LineKind.data_only).effective_rule
        == "end_of_calendar_month"
    )


def test_public_dict_is_json_with_evidence(registry: PackRegistry) -> None:
    body = registry.get("no/telenor").to_public_dict()
    json.dumps(body)
    rule = body["cancellation"]["notice"]["effective_rule"]
    assert rule == {
        "value": "one_calendar_month_from_first_of_next_month",
        "status": "S",
        "sources": ["ca_telenor"],
        "as_of": None,
        "note": None,
        "layer": "no/telenor",
    }
    assert body["sources"]["tn_kontant_2015"]["url"].startswith("https://www.telenor.no/")
    assert body["layers"] == ["policies/country/no.yaml", "policies/no/telenor.yaml"]
    assert "products.data_only" in body["overrides"]


def test_operator_directory_can_replace_a_shipped_pack(tmp_path: Path) -> None:
    (tmp_path / "ice.yaml").write_text(
        "pack: {id: no/ice, kind: operator, extends: [country/no], country: 'NO', operator: {legal_name: Ice}}\n"
        "cancellation: {notice: {effective_rule: immediate}}\n",
        encoding="utf-8",
    )
    pack = load_registry([tmp_path]).get("no/ice")
    assert pack.rules_for(Plan.postpaid, LineKind.esim).effective_rule == "immediate"
    assert pack.files[-1].endswith("ice.yaml")
