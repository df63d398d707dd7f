"""A refused field, as every field rule reports it: the public field name, a stable rule code the
edges translate by, an English sentence and the values the translation fills in. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from simexit.errors import InvalidFields


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str  # the public field name, e.g. "msisdn"
    rule: str  # a stable code; the API translates by it
    detail: str  # an English sentence
    # Values the translated sentence fills in (e.g. {"currency": "NOK"}); all strings.
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)


def invalid(problems: list[FieldProblem], *, prefix: str = "body") -> InvalidFields:
    """The problems as one 422 that lists each in `errors[]`."""
    return InvalidFields(
        [(p.field, p.rule, p.detail, dict(p.params)) for p in problems], prefix=prefix
    )
