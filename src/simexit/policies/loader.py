"""Read policy pack files, layer them, validate them and compile them. Loaded once, then cached.

Layering: a pack's `extends:` chain (country first), then its own file; for each line variant the
operator's `products:` overrides (plan, then kind) and the country's region overlays (e.g. `CA`)
go on top. Mappings merge key by key; lists and evidenced values replace.

Every error names the file that wrote the offending key, the key path and the rule broken, e.g.
`policies/no/ice.yaml: cancellation.notice.effective_rule: 'next-day' is not one of immediate, ...`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simexit.policies.errors import PolicyPackError, UnknownPack
from simexit.policies.model import LineKind, Plan
from simexit.policies.pack import LayerView, Pack, VariantKey
from simexit.policies.rules import CompiledRules, CompileError, compile_rules
from simexit.policies.schema import TOP_LEVEL_KEYS, PackDocument, PackHeader

Loc = tuple[str | int, ...]
Origin = tuple[str, Loc]  # (file, key path inside that file)

SHIPPED_PREFIX = "policies"


class _PackYamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so pydantic parses them and names the key if wrong."""


_PackYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(slots=True)
class _Layer:
    file: str
    raw: dict[str, Any]
    header: PackHeader


@dataclass(slots=True)
class _Merged:
    """A merged raw document and, for each key path, the file (and path there) that wrote it."""

    raw: dict[str, Any] = field(default_factory=dict)
    origins: dict[Loc, Origin] = field(default_factory=dict)
    leaf_file: str = ""

    def layered(self, layer: dict[str, Any], file: str, layer_prefix: Loc = ()) -> _Merged:
        merged = _Merged(copy.deepcopy(self.raw), dict(self.origins), file)
        _merge_into(merged.raw, layer, (), layer_prefix, file, merged.origins)
        return merged


def _is_evidenced(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value


def _merge_into(
    target: dict[str, Any],
    layer: dict[str, Any],
    loc: Loc,
    layer_loc: Loc,
    file: str,
    origins: dict[Loc, Origin],
) -> None:
    for key, value in layer.items():
        here = (*loc, key)
        there = (*layer_loc, key)
        current = target.get(key)
        if current is None and isinstance(value, dict) and not _is_evidenced(value):
            # Opened here: recorded key by key, so every leaf knows the layer that wrote it.
            current = target[key] = {}
        if (
            isinstance(value, dict)
            and isinstance(current, dict)
            and not _is_evidenced(value)
            and not _is_evidenced(current)
        ):
            origins.setdefault(here, (file, there))
            _merge_into(current, value, here, there, file, origins)
            continue
        for stale in [k for k in origins if k[: len(here)] == here]:
            del origins[stale]
        target[key] = copy.deepcopy(value)
        origins[here] = (file, there)


class PackRegistry:
    """Every loaded pack by id. Operator packs are what `ids()` lists; country packs load too."""

    def __init__(self, packs: dict[str, Pack]) -> None:
        self._packs = packs

    def get(self, pack_id: str) -> Pack:
        try:
            return self._packs[pack_id]
        except KeyError:
            raise UnknownPack(pack_id, self.ids()) from None

    def ids(self) -> list[str]:
        return sorted(pid for pid, pack in self._packs.items() if pack.kind == "operator")

    def all_ids(self) -> list[str]:
        return sorted(self._packs)

    def __contains__(self, pack_id: object) -> bool:
        return pack_id in self._packs

    def calendars(self) -> set[str]:
        """The business-day calendars the packs count review deadlines on."""
        return {pack.sla_calendar for pack in self._packs.values()}


def load_registry(extra_dirs: Sequence[Path] = ()) -> PackRegistry:
    """Shipped packs plus operator-provided directories (later directories override by id)."""
    return _load_cached(tuple(str(Path(d).resolve()) for d in extra_dirs))


@lru_cache(maxsize=8)
def _load_cached(extra_dirs: tuple[str, ...]) -> PackRegistry:
    files = list(_shipped_files())
    for directory in extra_dirs:
        root = Path(directory)
        if not root.is_dir():
            raise PolicyPackError(directory, "", "policy directory does not exist")
        files.extend(
            (str(path), path.read_text(encoding="utf-8")) for path in sorted(root.rglob("*.yaml"))
        )
    return build_registry(files)


def _shipped_files() -> Iterator[tuple[str, str]]:
    root = resources.files("simexit.policies") / "packs"

    def walk(node: Traversable, prefix: str) -> Iterator[tuple[str, str]]:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            name = f"{prefix}/{child.name}"
            if child.is_dir():
                yield from walk(child, name)
            elif child.name.endswith(".yaml"):
                yield name, child.read_text(encoding="utf-8")

    yield from walk(root, SHIPPED_PREFIX)


def build_registry(files: Sequence[tuple[str, str]]) -> PackRegistry:
    """Validate and compile packs from (display name, YAML text) pairs."""
    layers: dict[str, _Layer] = {}
    for file, text in files:
        layer = _read_layer(file, text)
        layers[layer.header.id] = layer
    regions: dict[str, list[_Layer]] = {}
    for layer in layers.values():
        if layer.header.kind == "region":
            if layer.header.region is None:
                raise PolicyPackError(
                    layer.file, "pack.region", "a region overlay needs a region code, e.g. CA"
                )
            if layer.header.extends:
                raise PolicyPackError(
                    layer.file,
                    "pack.extends",
                    "a region overlay applies to its country and extends nothing",
                )
            regions.setdefault(layer.header.country, []).append(layer)
    countries = {layer.header.country for layer in layers.values() if layer.header.kind != "region"}
    for country, overlays in regions.items():
        if country not in countries:
            raise PolicyPackError(
                overlays[0].file,
                "pack.country",
                f"no country or operator pack of {country} exists, so no line reaches this overlay",
            )
    packs: dict[str, Pack] = {}
    for pack_id, layer in layers.items():
        if layer.header.kind != "region":
            packs[pack_id] = _build_pack(layer, layers, regions.get(layer.header.country, []))
    return PackRegistry(packs)


def _read_layer(file: str, text: str) -> _Layer:
    try:
        raw = yaml.load(text, Loader=_PackYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyPackError(file, where, f"invalid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise PolicyPackError(file, "", "a pack must be a YAML mapping with a 'pack:' header")
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise PolicyPackError(
                file, str(key), f"unknown key; expected one of {', '.join(sorted(TOP_LEVEL_KEYS))}"
            )
    if "pack" not in raw:
        raise PolicyPackError(file, "pack", "required key is missing")
    try:
        header = PackHeader.model_validate(raw["pack"])
    except ValidationError as exc:
        merged = _Merged(raw, {}, file)
        raise _friendly(exc, merged, prefix=("pack",)) from None
    return _Layer(file, raw, header)


def _chain(layer: _Layer, layers: dict[str, _Layer], seen: tuple[str, ...] = ()) -> list[_Layer]:
    pack_id = layer.header.id
    if pack_id in seen:
        cycle = " -> ".join((*seen, pack_id))
        raise PolicyPackError(layer.file, "pack.extends", f"extends forms a cycle: {cycle}")
    chain: list[_Layer] = []
    for index, parent_id in enumerate(layer.header.extends):
        parent = layers.get(parent_id)
        if parent is None or parent.header.kind == "region":
            raise PolicyPackError(
                layer.file,
                f"pack.extends.{index}",
                f"{parent_id!r} is not a known country or operator pack",
            )
        chain.extend(p for p in _chain(parent, layers, (*seen, pack_id)) if p not in chain)
    chain.append(layer)
    return chain


def _build_pack(layer: _Layer, layers: dict[str, _Layer], region_layers: list[_Layer]) -> Pack:
    base = _Merged()
    for part in _chain(layer, layers):
        body = {k: v for k, v in part.raw.items() if not (part is not layer and k == "pack")}
        base = base.layered(body, part.file)
    base.leaf_file = layer.file
    document = _validate(base)

    products: dict[str, Any] = base.raw.get("products") or {}
    overrides: dict[str, dict[str, Any]] = {
        f"products.{name}": body for name, body in products.items()
    }
    for region in region_layers:
        overrides[f"regions.{region.header.region}"] = region.raw
    compiled: dict[tuple[str, ...], CompiledRules] = {}
    views: dict[str, LayerView] = {"base": _view(base, document, layers)}
    view_of: dict[VariantKey, str] = {}
    variants: dict[VariantKey, CompiledRules] = {}
    variant_layers: list[_Layer | None] = [None, *region_layers]
    seen: list[_Merged] = []
    for plan in Plan:
        for kind in LineKind:
            for region_layer in variant_layers:
                applied = tuple(name for name in (plan.value, kind.value) if name in products)
                key = (*applied, region_layer.header.id if region_layer is not None else "")
                name = _view_name(applied, region_layer)
                if key not in compiled:
                    merged = base
                    for product in applied:
                        merged = merged.layered(
                            products[product], layer.file, ("products", product)
                        )
                    if region_layer is not None:
                        overlay = {k: v for k, v in region_layer.raw.items() if k != "pack"}
                        merged = merged.layered(overlay, region_layer.file)
                    merged.leaf_file = layer.file
                    checked = _validate(merged) if merged is not base else document
                    compiled[key] = _compile(merged, checked)
                    seen.append(merged)
                    views.setdefault(name, _view(merged, checked, layers))
                region_code = region_layer.header.region if region_layer is not None else None
                variants[(plan, kind, region_code)] = compiled[key]
                view_of[(plan, kind, region_code)] = name
    _check_reachable(layer, products, seen)
    files = tuple(part.file for part in _chain(layer, layers)) + tuple(
        r.file for r in region_layers
    )
    return Pack(
        document=document,
        variants=variants,
        files=files,
        overrides=overrides,
        views=views,
        view_of=view_of,
    )


def _view_name(applied: tuple[str, ...], region: _Layer | None) -> str:
    parts = [f"products.{name}" for name in applied]
    if region is not None:
        parts.append(f"regions.{region.header.region}")
    return " + ".join(parts) or "base"


def _layer_name(pack_id: str, there: Loc) -> str:
    """`no/telenor`, or `no/telenor products.data_only` for a key its product override wrote."""
    if len(there) > 1 and there[0] == "products":
        return f"{pack_id} products.{there[1]}"
    return pack_id


def _view(merged: _Merged, document: PackDocument, layers: dict[str, _Layer]) -> LayerView:
    """The merged document of one variant and, for each key path written by a file, its layer."""
    pack_of_file = {part.file: pack_id for pack_id, part in layers.items()}
    # Only leaves: a mapping's own origin is the first layer that opened it, not who wrote a key
    # the schema filled in under it.
    branches = {loc[:cut] for loc in merged.origins for cut in range(1, len(loc))}
    written = {
        _dotted(loc): _layer_name(pack_of_file.get(file, file), there)
        for loc, (file, there) in merged.origins.items()
        if loc and loc not in branches and loc[0] not in ("pack", "sources", "products")
    }
    return LayerView(document=document, written_by=written)


def _validate(merged: _Merged) -> PackDocument:
    try:
        document = PackDocument.model_validate(merged.raw)
    except ValidationError as exc:
        raise _friendly(exc, merged) from None
    _check_source_ids(merged, set(document.sources))
    _check_contradictions(merged, document)
    return document


def _check_contradictions(merged: _Merged, document: PackDocument) -> None:
    """Values that are each valid but cannot all hold: refused with the file that wrote them."""
    numbering, window = document.numbering, document.reactivation.window_days.value
    quarantine, most = numbering.quarantine_days.value, numbering.quarantine_max_days.value
    if window is not None and quarantine is not None and window > quarantine:
        file, path = _locate(merged, ("reactivation", "window_days"))
        raise PolicyPackError(
            file,
            path,
            f"a reactivation window of {window} days is longer than the {quarantine}-day "
            "quarantine: the number would be given to someone else before the deadline promised "
            "(a restore period of a suspended SIM or an inactivity rule is prepaid.inactivity)",
        )
    if quarantine is not None and most is not None and quarantine > most:
        file, path = _locate(merged, ("numbering", "quarantine_days"))
        raise PolicyPackError(
            file, path, f"a quarantine of {quarantine} days is longer than the {most}-day maximum"
        )
    porting = document.porting
    low, high = porting.min_lead_days.value, porting.max_lead_days.value
    if low is not None and high is not None and low > high:
        file, path = _locate(merged, ("porting", "min_lead_days"))
        raise PolicyPackError(file, path, f"the minimum lead {low} is above the maximum {high}")


def _check_reachable(layer: _Layer, products: dict[str, Any], seen: list[_Merged]) -> None:
    """Every key a product override writes decides at least one line variant."""
    decided = {
        origin
        for merged in seen
        for loc, origin in merged.origins.items()
        if loc and loc[0] != "products"
    }
    for name, body in products.items():
        for loc in _leaf_locs(body, ("products", name)):
            if (layer.file, loc) not in decided:
                raise PolicyPackError(
                    layer.file,
                    _dotted(loc),
                    "no line reaches this override: every variant it applies to takes the "
                    "value from a later layer",
                )


def _leaf_locs(node: Any, loc: Loc) -> Iterator[Loc]:
    if isinstance(node, dict) and node and not _is_evidenced(node):
        for key, value in node.items():
            yield from _leaf_locs(value, (*loc, key))
    else:
        yield loc


def _compile(merged: _Merged, document: PackDocument) -> CompiledRules:
    try:
        return compile_rules(document)
    except CompileError as exc:
        loc: Loc = tuple(int(p) if p.isdigit() else p for p in exc.path.split("."))
        file, path = _locate(merged, loc)
        raise PolicyPackError(file, path, str(exc)) from None


def _check_source_ids(merged: _Merged, known: set[str]) -> None:
    def walk(node: Any, loc: Loc) -> None:
        if isinstance(node, dict):
            if _is_evidenced(node):
                for index, source_id in enumerate(node.get("src") or ()):
                    if source_id not in known:
                        file, path = _locate(merged, (*loc, "src", index))
                        rule = f"source {source_id!r} is not listed under sources:"
                        raise PolicyPackError(
                            file, path, f"{rule} (known: {', '.join(sorted(known)) or 'none'})"
                        )
            for key, value in node.items():
                if key != "sources" or loc:
                    walk(value, (*loc, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*loc, index))

    walk(merged.raw, ())


def _locate(merged: _Merged, loc: Loc) -> tuple[str, str]:
    """The file that wrote `loc` (longest known prefix) and the key path as written in it."""
    clean = _clean_loc(merged.raw, loc)
    for cut in range(len(clean), 0, -1):
        origin = merged.origins.get(clean[:cut])
        if origin is not None:
            file, there = origin
            return file, _dotted((*there, *clean[cut:]))
    return merged.leaf_file, _dotted(clean)


def _clean_loc(raw: Any, loc: Loc) -> Loc:
    """Drop pydantic's internal segments: `value` of a plainly written leaf, union tags."""
    kept: list[str | int] = []
    node: Any = raw
    for segment in loc:
        found, child = _child(node, segment)
        if found:
            node = child
        elif segment == "value" or (node is not None and not isinstance(node, dict | list)):
            continue
        else:
            node = None
        kept.append(segment)
    return tuple(kept)


def _child(node: Any, segment: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and segment in node:
        return True, node[segment]
    if isinstance(node, list) and isinstance(segment, int) and segment < len(node):
        return True, node[segment]
    return False, None


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def _friendly(exc: ValidationError, merged: _Merged, prefix: Loc = ()) -> PolicyPackError:
    error = exc.errors(include_url=False)[0]
    file, path = _locate(merged, (*prefix, *error["loc"]))
    return PolicyPackError(file, path, _rule_text(error))


def _rule_text(error: Any) -> str:
    kind = error["type"]
    given = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{given!r} is not one of {expected}"
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{given!r} must be >= {ctx.get('ge', ctx.get('gt'))}"
    if kind.startswith("int_"):
        return f"{given!r} is not a whole number"
    if kind.startswith("bool_"):
        return f"{given!r} is not true or false"
    if kind.startswith("decimal_"):
        return f"{given!r} is not an amount"
    if kind.startswith("date"):
        return f"{given!r} is not a valid date (YYYY-MM-DD)"
    if kind == "string_pattern_mismatch":
        return f"{given!r} does not match the pattern {ctx.get('pattern')}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{error['msg'].lower()} (got {given!r})"
