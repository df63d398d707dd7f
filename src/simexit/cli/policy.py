"""`simexit policy check` and `simexit policy show PACK`: validate and read policy packs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from simexit.config import load_settings
from simexit.policies.errors import PolicyPackError, UnknownPack
from simexit.policies.loader import load_registry

app = typer.Typer(help="Validate and inspect policy packs.", no_args_is_help=True)

ENV_DIRS = "SIMEXIT_POLICY_DIRS"  # read through settings: the same format as `simexit serve`

DirsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--dir", "-d", help=f"Extra pack directory (repeatable; also ${ENV_DIRS}).", file_okay=False
    ),
]


def _extra_dirs(dirs: list[Path] | None) -> list[Path]:
    """The directories `simexit serve` loads (`SIMEXIT_POLICY_DIRS`), then the `--dir` ones."""
    return [*load_settings().policy_dirs, *(dirs or [])]


@app.command()
def check(dirs: DirsOption = None) -> None:
    """Load and validate every pack; print each pack OK, or the problem. Exit 1 on any problem."""
    console = Console()
    try:
        registry = load_registry(_extra_dirs(dirs))
    except PolicyPackError as exc:
        console.print(f"[red]FAIL[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    for pack_id in registry.all_ids():
        pack = registry.get(pack_id)
        console.print(
            f"[green]OK[/green]   {pack_id}  ({pack.kind}, {len(pack.variants)} variants, {len(pack.sources)} sources)",
            highlight=False,
        )


@app.command()
def show(
    pack_id: Annotated[str, typer.Argument(help="Pack id, e.g. no/telenor.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    dirs: DirsOption = None,
) -> None:
    """Show the merged pack: each value with its evidence, sources and the layer that gave it;
    then each product and region layer with the lines it applies to and what it changes."""
    console = Console()
    try:
        pack = load_registry(_extra_dirs(dirs)).get(pack_id)
    except (PolicyPackError, UnknownPack) as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    body = pack.to_public_dict()
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    console.print(
        f"[bold]{pack.id}[/bold]  {pack.country}  {pack.currency}  {pack.timezone}  reviewed {pack.reviewed}"
    )
    console.print("layers: " + " -> ".join(body["layers"]), highlight=False)
    console.print(_values_table("values (base: every line)", _leaves(body, ())))
    for variant in body["variants"]:
        lines = ", ".join(
            "/".join(str(v) for v in (line["plan"], line["kind"], line["region"]) if v)
            for line in variant["applies_to"]
        )
        title = f"{variant['name']} (applies to {lines})"
        console.print(_values_table(title, list(variant["values"].items())))
    sources = Table("id", "kind", "retrieved", "title", "url", title="sources")
    for source_id, source in body["sources"].items():
        sources.add_row(
            source_id, source["kind"], str(source["retrieved"]), source["title"], source["url"]
        )
    console.print(sources)
    if body["overrides"]:
        console.print("overrides: " + ", ".join(body["overrides"]), highlight=False)


def _values_table(title: str, leaves: list[tuple[str, dict[str, Any]]]) -> Table:
    """Each value with its evidence and the layer that gave it."""
    table = Table("key", "value", "status", "sources", "layer", title=title)
    for key, leaf in leaves:
        table.add_row(
            key,
            json.dumps(leaf["value"], ensure_ascii=False),
            leaf["status"],
            ", ".join(leaf["sources"]),
            str(leaf.get("layer", "")),
        )
    return table


def _leaves(node: Any, path: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if "status" in node and "value" in node:
            return [(".".join(path), node)]
        for key, value in node.items():
            if not path and key in ("sources", "layers", "overrides", "pack", "variants"):
                continue
            found.extend(_leaves(value, (*path, str(key))))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_leaves(value, (*path, str(index))))
    return found
