"""README.md's Configuration table lists every setting with its true default, so it cannot
drift from `Settings` again (seven settings were missing and one default was wrong)."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

from pydantic import SecretStr

from simexit.config import Settings, variable_name

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| `(?P<variable>SIMEXIT_[A-Z0-9_]+)` \| (?P<default>[^|]*) \|", re.MULTILINE)


def configuration_rows() -> dict[str, str]:
    """Variable -> the default cell's value: its leading code span, or "" when the cell says in
    words that there is none (empty, unset)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration\n") :]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, str] = {}
    for found in ROW.finditer(section):
        variable, cell = found["variable"], found["default"].strip()
        assert variable not in rows, f"{variable} has two rows"
        code = re.match(r"`([^`]*)`", cell)
        rows[variable] = code.group(1) if code else ""
    return rows


def as_written(default: object) -> str:
    """A default as an operator would type it in the environment."""
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if default is None or default == [] or default == "":
        return ""
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, Enum):
        return str(default.value)
    return str(default)


def code_defaults() -> dict[str, str]:
    return {
        variable_name(name): as_written(field.get_default(call_default_factory=True))
        for name, field in Settings.model_fields.items()
    }


def test_every_setting_has_one_row_and_every_row_a_setting() -> None:
    documented, actual = set(configuration_rows()), set(code_defaults())
    assert actual - documented == set(), "settings missing from README.md's table"
    assert documented - actual == set(), "README.md's table names settings that do not exist"


def test_each_row_gives_the_true_default() -> None:
    rows = configuration_rows()
    wrong = {
        variable: (rows[variable], default)
        for variable, default in code_defaults().items()
        if rows.get(variable) != default
    }
    assert wrong == {}, "README default differs from the code: {variable: (readme, code)}"
