"""The researched facts (tests/policy_facts/facts.yaml) are in the packs, the same, with their
evidence tag and a public source; and no value anywhere claims `V` without a source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from simexit.policies.loader import PackRegistry
from simexit.policies.model import LineKind, Plan
from simexit.policies.pack import LayerView, Pack, public_value

TABLE = Path(__file__).resolve().parents[1] / "policy_facts" / "facts.yaml"
FACTS: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["facts"]
SKIPPED: list[dict[str, Any]] = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["skipped"]


def _view(pack: Pack, variant: dict[str, str] | None) -> LayerView:
    if not variant:
        return pack.views["base"]
    return pack.view_for(
        Plan(variant.get("plan", "postpaid")),
        LineKind(variant.get("kind", "physical_sim")),
        variant.get("region"),
    )


def _walk(node: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(node, dict) and "status" in node and "value" in node and part not in node:
            node = node["value"]
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(f"{path}: no key {part!r}")
    return node


def _same(expected: Any, actual: Any) -> bool:
    """Equal; a mapping expected matches when its keys (recursively) are equal in `actual`."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _same(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return not isinstance(actual, bool) and actual == expected
    return bool(expected == actual)


def _leaf(fact: dict[str, Any], registry: PackRegistry) -> dict[str, Any]:
    view = _view(registry.get(fact["pack"]), fact.get("variant"))
    node = _walk(public_value(view.document), fact["path"])
    if "match" in fact:
        found = [rule for rule in node if _same(fact["match"], rule["value"])]
        assert found, f"{fact['id']}: no rule in {fact['path']} has {fact['match']}: {node}"
        node = found[0]
    assert isinstance(node, dict), f"{fact['id']}: not an evidenced value"
    assert "status" in node, f"{fact['id']}: not an evidenced value"
    return node


def test_table_is_well_formed() -> None:
    ids = [fact["id"] for fact in FACTS] + [skip["id"] for skip in SKIPPED]
    assert len(ids) == len(set(ids)), "fact ids repeat"
    for fact in FACTS:
        assert fact["tag"] in ("V", "S", "U"), fact["id"]
        assert fact.get("research"), f"{fact['id']}: where in the research file?"
        if fact["tag"] != "U":
            assert str(fact.get("source") or "").startswith("https://"), (
                f"{fact['id']}: a V or S fact needs its public source"
            )
    for skip in SKIPPED:
        assert skip.get("reason"), f"{skip['id']}: skipped without a reason"


@pytest.mark.parametrize("fact", FACTS, ids=[fact["id"] for fact in FACTS])
def test_fact_is_in_the_pack(fact: dict[str, Any], registry: PackRegistry) -> None:
    leaf = _leaf(fact, registry)
    if "value" in fact and "match" not in fact:
        assert _same(fact["value"], leaf["value"]), (
            f"{fact['id']}: {fact['pack']} {fact['path']} is {leaf['value']!r}, "
            f"the research says {fact['value']!r}"
        )
    assert leaf["status"] == fact["tag"], (
        f"{fact['id']}: {fact['pack']} {fact['path']} claims {leaf['status']}, "
        f"the research gives {fact['tag']}"
    )
    if fact["tag"] != "U":
        sources = _view(registry.get(fact["pack"]), fact.get("variant")).document.sources
        urls = {sources[s].url for s in leaf["sources"]}
        assert fact["source"] in urls, f"{fact['id']}: cites {sorted(urls)}, not {fact['source']}"


def _evidenced(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "status" in node and "value" in node and "sources" in node:
            return [(path, node), *_evidenced(node["value"], path)]
        found: list[tuple[str, dict[str, Any]]] = []
        for key, value in node.items():
            if not (path == "" and key in ("sources", "pack", "layers", "overrides")):
                found += _evidenced(value, f"{path}.{key}".lstrip("."))
        return found
    if isinstance(node, list):
        return [leaf for i, item in enumerate(node) for leaf in _evidenced(item, f"{path}.{i}")]
    return []


def test_nothing_claims_evidence_without_a_source(registry: PackRegistry) -> None:
    """A V or S value cites a source (so no schema default is ever shown as verified)."""
    bare = [
        f"{pack_id} [{name}] {path}: {leaf['status']}"
        for pack_id in registry.all_ids()
        for name, view in registry.get(pack_id).views.items()
        for path, leaf in _evidenced(public_value(view.document))
        if leaf["status"] != "U" and not leaf["sources"]
    ]
    assert not bare, "\n".join(bare)
