"""The OpenAPI document declares the rules the server enforces, with examples that pass them.

A rule the contract omits makes clients and fuzzers send requests the server must refuse; an
example that fails its own check (the ICCID example failed the Luhn check) teaches the error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from stdnum import luhn

from simexit.api.validators import _printable


def _schemas_named(document: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    for schema in document["components"]["schemas"].values():
        prop = schema.get("properties", {}).get(name)
        if prop is not None:
            yield from prop.get("anyOf", [prop])


def test_every_iccid_example_passes_the_luhn_check(app: FastAPI) -> None:
    examples = [
        example
        for schema in _schemas_named(app.openapi(), "iccid")
        for example in schema.get("examples", [])
    ]
    assert examples
    for example in examples:
        assert luhn.is_valid(example), example


def test_free_text_fields_declare_the_control_character_rule(app: FastAPI) -> None:
    patterns = {
        schema.get("pattern")
        for name in ("note", "comment")
        for schema in _schemas_named(app.openapi(), name)
        if schema.get("type") == "string" and "maxLength" in schema  # inputs, not answers
    }
    assert len(patterns) == 1
    (pattern,) = patterns
    assert pattern is not None
    declared = re.compile(pattern)
    for text in ("plain", "tab\tand\nnewline", "\x01", "bell\x07", "esc\x1b"):
        enforced = True
        try:
            _printable(text)
        except ValueError:
            enforced = False
        assert bool(declared.match(text)) == enforced, repr(text)


def test_the_cursor_parameter_declares_its_format(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/v1/cases"]["get"]
    (cursor,) = [p for p in operation["parameters"] if p["name"] == "cursor"]
    # On the parameter's schema: a pattern constrains strings only, so null still passes.
    assert cursor["schema"]["pattern"] == "^[A-Za-z0-9_-]+$"
