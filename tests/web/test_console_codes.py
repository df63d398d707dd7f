"""Every blocker and review code the policy engine (and the intake's identity check) can give has
its few words in the console's queue and outcome charts, so no raw code is ever shown there."""

from __future__ import annotations

import ast
from pathlib import Path

import simexit.cases.service.intake as intake
import simexit.policies.engine as engine
from simexit.web.routes.console.outcomes import BLOCKER_SHORT
from simexit.web.routes.console.why import REVIEW_SHORT
from simexit.web.texts import FINDINGS


def _appended(module: object, target: str) -> set[str]:
    """The codes of `Finding("<code>", ...)` appended to a list named `target` (`work.blockers`,
    `review_extra`) in the module's source."""
    tree = ast.parse(Path(str(getattr(module, "__file__", ""))).read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "append" or ast.unparse(node.func.value) != target:
            continue
        (finding,) = node.args
        assert isinstance(finding, ast.Call)
        assert ast.unparse(finding.func) == "Finding"
        code = finding.args[0]
        assert isinstance(code, ast.Constant)
        assert isinstance(code.value, str)
        found.add(code.value)
    return found


def test_the_engine_codes_are_found() -> None:
    blockers = _appended(engine, "work.blockers")
    reviews = _appended(engine, "work.reviews")
    assert {"unpaid_bills", "port_pending", "min_topup_age"} <= blockers
    assert {"manual_review_policy", "unverified_policy_value"} <= reviews


def test_every_blocker_has_words_in_the_outcome_charts() -> None:
    assert sorted(_appended(engine, "work.blockers") - set(BLOCKER_SHORT)) == []


def test_every_review_reason_has_words_in_the_queue() -> None:
    reviews = _appended(engine, "work.reviews") | _appended(intake, "review_extra")
    assert sorted(reviews - set(REVIEW_SHORT)) == []


def test_the_short_words_are_for_codes_that_exist() -> None:
    assert sorted(set(BLOCKER_SHORT) - set(FINDINGS)) == []
    assert sorted(set(REVIEW_SHORT) - set(FINDINGS)) == []
