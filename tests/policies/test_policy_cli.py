"""`simexit policy check` and `simexit policy show`, through the Typer sub-app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from simexit.cli.policy import app

runner = CliRunner()


def test_check_lists_every_pack() -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    for pack_id in ("country/no", "no/telenor", "us/att", "ru/t2"):
        assert f"OK   {pack_id}" in result.output


def test_check_fails_on_a_broken_directory(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "pack: {id: no/bad, kind: operator, extends: [country/no], country: 'NO'}\n"
        "cancellation: {notice: {effective_rule: next-day}}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yaml: cancellation.notice.effective_rule: 'next-day' is not one of" in result.output


def test_check_reads_dirs_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text(
        "pack: {id: no/extra, kind: operator, extends: [no/ice], country: 'NO'}\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["check"], env={"SIMEXIT_POLICY_DIRS": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "OK   no/extra" in result.output


def test_show_json() -> None:
    result = runner.invoke(app, ["show", "us/att", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["pack"]["id"] == "us/att"
    fee = body["cancellation"]["commitment"]["early_exit"][0]
    assert (fee["value"]["amount"], fee["status"], fee["sources"]) == (
        "325",
        "V",
        ["att_etf", "att_etf14"],
    )


def test_show_tables() -> None:
    result = runner.invoke(app, ["show", "no/ice"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "cancellation.notice.effective_rule" in result.output
    assert "ice_terms" in result.output


def test_show_unknown_pack() -> None:
    result = runner.invoke(app, ["show", "no/nope"])
    assert result.exit_code == 1
    assert "unknown policy pack" in result.output


def test_show_attributes_every_layer() -> None:
    result = runner.invoke(app, ["show", "us/verizon"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "layer" in result.output
    assert "products.prepaid (applies to prepaid/physical_sim" in result.output
    assert "regions.CA (applies to" in result.output
    assert "us/verizon products.prepaid" in result.output
    assert "country/us-ca" in result.output
