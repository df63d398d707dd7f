"""The guard that turns "collected but never ran" and "two tests, one id" into a failed run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugins.every_test_runs import verdict

PLUGIN = Path(__file__).parent / "plugins" / "every_test_runs.py"

TESTS = """
def test_one():
    assert True

def test_two():
    assert True
"""

# Lists the first test twice: the shape schemathesis produced when 27 examples shared one id.
DUPLICATE_ID = """
def pytest_collection_modifyitems(items):
    items.append(items[0])
"""

# Swallows one test without reporting anything, as a broken plugin or collector would.
SWALLOW_ONE = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    return True if item.name == "test_two" else None
"""


def test_verdict_is_empty_when_every_collected_id_reported() -> None:
    assert verdict(["a::x", "a::y"], {"a::x", "a::y"}) == []


def test_verdict_names_duplicate_and_missing_ids() -> None:
    problems = verdict(["a::x", "a::x", "a::y"], {"a::x"})
    assert "collected 2 times under one id (only one runs): a::x" in problems
    assert "collected but reported no outcome: a::y" in problems
    assert problems[-1] == "3 collected, 1 reported an outcome"


def _suite(pytester: pytest.Pytester, extra_conftest: str = "") -> None:
    pytester.makeconftest(PLUGIN.read_text() + "\n" + extra_conftest)
    pytester.makepyfile(test_sample=TESTS)


def test_a_whole_run_passes(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert result.ret == 0


def test_a_test_that_reports_nothing_fails_the_run(pytester: pytest.Pytester) -> None:
    _suite(pytester, SWALLOW_ONE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*collected but reported no outcome: test_sample.py::test_two*"])


def test_two_tests_under_one_id_fail_the_run(pytester: pytest.Pytester) -> None:
    _suite(pytester, DUPLICATE_ID)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*collected 2 times under one id*test_sample.py::test_one*"])


def test_under_xdist_the_controller_counts(pytester: pytest.Pytester) -> None:
    _suite(pytester, SWALLOW_ONE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile"
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*collected but reported no outcome: test_sample.py::test_two*"])


def test_under_xdist_a_whole_run_passes(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    assert result.ret == 0
