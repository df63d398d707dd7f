"""The demo's table of lines to try, and the README's numbers, stay true to the seeded lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from simexit.db import Database
from simexit.lines.situations import situation
from simexit.models import Line, Operator
from simexit.policies.loader import load_registry
from simexit.seed.demo import seed_demo

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_showcase_is_one_seeded_line_per_situation(db: Database) -> None:
    with db.session() as session:
        result = seed_demo(session, packs=load_registry(), now=NOW, password_hash="x")
    with db.read_session() as session:
        rows = session.execute(select(Line, Operator.code).join(Operator)).all()
        by_number = {line.msisdn: (line, code) for line, code in rows}
        every_situation = {situation(line, NOW.date()) for line, _ in rows}
        assert all(operator.sandbox for operator in session.scalars(select(Operator)))
    assert {entry.situation for entry in result.showcase} == every_situation
    for entry in result.showcase:
        line, code = by_number[entry.msisdn]
        assert (code, line.kind) == (entry.operator, entry.kind)
        assert situation(line, NOW.date()) == entry.situation


def test_the_readme_numbers_are_demo_lines_of_that_operator(db: Database) -> None:
    with db.session() as session:
        seed_demo(session, packs=load_registry(), now=NOW, password_hash="x")
    text = README.read_text(encoding="utf-8")
    section = text[text.index("Numbers to try") : text.index("### Test clocks")]
    listed = re.findall(r"\| `(\+\d+)` \| ([a-z0-9-]+) \| (.+?) \|", section)
    assert len(listed) >= 5
    with db.read_session() as session:
        operators = {
            row.msisdn: row.code
            for row in session.execute(select(Line.msisdn, Operator.code).join(Operator))
        }
        lines = {line.msisdn: line for line in session.scalars(select(Line))}
    for number, code, _ in listed:
        assert operators.get(number) == code, number
    said = {number: words for number, _, words in listed}
    assert lines["+4740001078"].port_pending
    assert "port-out" in said["+4740001078"]
    assert lines["+4746001272"].status == "suspended"
    assert lines["+14155551343"].unpaid_bills_minor > 0
    assert lines["+79160001660"].status == "terminated"
    assert lines["+14155551304"].device_instalment_minor > 0
