"""A broken pack is refused with a message naming the file, the key path and the rule broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from simexit.policies.errors import PolicyPackError
from simexit.policies.loader import load_registry

HEADER = "pack: {id: no/bad, kind: operator, extends: [country/no], country: 'NO', operator: {legal_name: Bad AS}}\n"


def load_bad(tmp_path: Path, files: dict[str, str]) -> PolicyPackError:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyPackError) as caught:
        load_registry([tmp_path])
    return caught.value


@pytest.mark.parametrize(
    ("body", "path", "rule"),
    [
        pytest.param(
            "cancellation: {notice: {effective_rule: next-day}}\n",
            "cancellation.notice.effective_rule",
            "'next-day' is not one of immediate, next_day, end_of_billing_cycle",
            id="unknown-enum-value",
        ),
        pytest.param(
            "review: {sla_business_days: ten}\n",
            "review.sla_business_days",
            "'ten' is not a whole number",
            id="wrong-type",
        ),
        pytest.param(
            "cancellation: {notice: {effective_rule: {value: next_day, status: S, src: [nowhere]}}}\n",
            "cancellation.notice.effective_rule.src.0",
            "source 'nowhere' is not listed under sources:",
            id="unknown-source-id",
        ),
        pytest.param(
            "cancellation: {cancellation_fee: '-5'}\n",
            "cancellation.cancellation_fee",
            "'-5' must be >= 0",
            id="negative-amount",
        ),
        pytest.param(
            "cancellation: {cancellation_fee: '1.234'}\n",
            "cancellation.cancellation_fee",
            "more than 2 decimals for NOK",
            id="too-many-decimals",
        ),
        pytest.param(
            "fees: {admin: 10}\n",
            "fees",
            "unknown key",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "suspension: {max_dayz: 10}\n",
            "suspension.max_dayz",
            "unknown key",
            id="unknown-nested-key",
        ),
        pytest.param(
            "review: {mode: {value: auto, status: X}}\n",
            "review.mode.status",
            "'X' is not one of V, S, U",
            id="unknown-evidence-status",
        ),
        pytest.param(
            "products: {prepaid: {prepaid: {min_days_since_last_topup: -1}}}\n",
            "products.prepaid.prepaid.min_days_since_last_topup",
            "-1 must be >= 0",
            id="bad-product-override",
        ),
        pytest.param(
            "review: {calendar: XX}\n",
            "review.calendar",
            "'XX' is not one of NO, RU, US",
            id="unknown-calendar",
        ),
    ],
)
def test_bad_operator_value(tmp_path: Path, body: str, path: str, rule: str) -> None:
    error = load_bad(tmp_path, {"no/bad.yaml": HEADER + body})
    assert error.file.endswith("no/bad.yaml")
    assert error.path == path
    assert rule in error.rule
    assert str(error).startswith(f"{error.file}: {path}: ")


def test_bad_date(tmp_path: Path) -> None:
    error = load_bad(
        tmp_path, {"no/bad.yaml": HEADER.replace("Bad AS}", "Bad AS}, reviewed: 2026-13-45")}
    )
    assert (error.path, error.rule) == (
        "pack.reviewed",
        "'2026-13-45' is not a valid date (YYYY-MM-DD)",
    )
    assert error.file.endswith("no/bad.yaml")


def test_missing_required_key(tmp_path: Path) -> None:
    error = load_bad(
        tmp_path, {"country/se.yaml": "pack: {id: country/se, kind: country, country: SE}\n"}
    )
    assert error.file.endswith("country/se.yaml")
    assert (error.path, error.rule) == ("locale", "required key is missing")


def test_missing_pack_header(tmp_path: Path) -> None:
    error = load_bad(tmp_path, {"no/bad.yaml": "review: {mode: auto}\n"})
    assert (error.path, error.rule) == ("pack", "required key is missing")


def test_extends_a_missing_pack(tmp_path: Path) -> None:
    error = load_bad(tmp_path, {"no/bad.yaml": HEADER.replace("country/no", "country/zz")})
    assert error.file.endswith("no/bad.yaml")
    assert (error.path, error.rule) == (
        "pack.extends.0",
        "'country/zz' is not a known country or operator pack",
    )


def test_cycle_in_extends(tmp_path: Path) -> None:
    error = load_bad(
        tmp_path,
        {
            "no/a.yaml": "pack: {id: no/a, kind: operator, extends: [no/b], country: 'NO'}\n",
            "no/b.yaml": "pack: {id: no/b, kind: operator, extends: [no/a], country: 'NO'}\n",
        },
    )
    assert error.path == "pack.extends"
    assert "cycle" in error.rule
    assert "no/a -> no/b -> no/a" in error.rule or "no/b -> no/a -> no/b" in error.rule


def test_yaml_syntax_error(tmp_path: Path) -> None:
    error = load_bad(tmp_path, {"no/bad.yaml": HEADER + "cancellation: [unclosed\n"})
    assert error.file.endswith("no/bad.yaml")
    assert error.path.startswith("line ")
    assert "invalid YAML" in error.rule


def test_error_in_a_parent_names_the_parent_file(tmp_path: Path) -> None:
    parent = "pack: {id: no/parent, kind: operator, extends: [country/no], country: 'NO'}\nsim: {non_return_fee: '-1'}\n"
    child = "pack: {id: no/child, kind: operator, extends: [no/parent], country: 'NO'}\n"
    error = load_bad(tmp_path, {"no/parent.yaml": parent, "no/child.yaml": child})
    assert error.file.endswith("no/parent.yaml")
    assert error.path == "sim.non_return_fee"


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PolicyPackError, match="does not exist"):
        load_registry([tmp_path / "nope"])


@pytest.mark.parametrize(
    ("body", "path", "rule"),
    [
        pytest.param(
            "reactivation: {window_days: 270}\n",
            "reactivation.window_days",
            "a reactivation window of 270 days is longer than the 90-day quarantine",
            id="window-longer-than-quarantine",
        ),
        pytest.param(
            "products: {prepaid: {reactivation: {window_days: {value: 120, status: U}}}}\n",
            "products.prepaid.reactivation.window_days",
            "a reactivation window of 120 days is longer than the 90-day quarantine",
            id="product-window-longer-than-quarantine",
        ),
        pytest.param(
            "numbering: {quarantine_days: 400, quarantine_max_days: 365}\n",
            "numbering.quarantine_days",
            "a quarantine of 400 days is longer than the 365-day maximum",
            id="quarantine-above-its-maximum",
        ),
        pytest.param(
            "porting: {min_lead_days: 9, max_lead_days: 8}\n",
            "porting.min_lead_days",
            "the minimum lead 9 is above the maximum 8",
            id="porting-lead-inverted",
        ),
        pytest.param(
            "products:\n"
            "  prepaid: {suspension: {fee: '5'}}\n"
            "  physical_sim: {suspension: {fee: '6'}}\n"
            "  esim: {suspension: {fee: '7'}}\n"
            "  data_only: {suspension: {fee: '8'}}\n",
            "products.prepaid.suspension.fee",
            "no line reaches this override",
            id="override-no-line-reaches",
        ),
    ],
)
def test_contradiction_refused(tmp_path: Path, body: str, path: str, rule: str) -> None:
    error = load_bad(tmp_path, {"no/bad.yaml": HEADER + body})
    assert error.file.endswith("no/bad.yaml")
    assert error.path == path
    assert rule in error.rule


def test_region_overlay_of_no_country(tmp_path: Path) -> None:
    overlay = "pack: {id: country/se-ab, kind: region, country: SE, region: AB}\n"
    error = load_bad(tmp_path, {"country/se-ab.yaml": overlay})
    assert error.file.endswith("country/se-ab.yaml")
    assert (error.path, "no line reaches this overlay" in error.rule) == ("pack.country", True)
