"""Fail the run when a collected test never reports an outcome, or two tests share one id.

A test id that appears twice is run once under `--dist loadfile` (xdist keeps one of them), and a
test that reports nothing never ran: either way the run would be green while proving less than
it claims. This plugin counts, on the process that reports (the xdist controller or the only
process), the ids that were collected and the ids that reported a final outcome, and turns any
difference into a failed run with the ids named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

EXIT_MISMATCH = pytest.ExitCode.TESTS_FAILED


class EveryTestRuns:
    def __init__(self) -> None:
        self.collected: list[str] | None = None
        self.reported: set[str] = set()
        self.problems: list[str] = []

    # -- what was collected ------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not _is_xdist_worker(session.config) and not _is_xdist_controller(session.config):
            self.collected = [item.nodeid for item in session.items]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        # Every worker collects the same tests; the first answer stands for all of them.
        if self.collected is None:
            self.collected = list(ids)

    # -- what reported -----------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.reported.add(report.nodeid)

    # -- the verdict -------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if _is_xdist_worker(session.config) or self.collected is None:
            return
        if session.shouldstop or session.shouldfail or exitstatus == pytest.ExitCode.INTERRUPTED:
            return  # an early stop (-x, --maxfail, Ctrl-C) leaves tests unrun on purpose
        self.problems = verdict(self.collected, self.reported)
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = EXIT_MISMATCH

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.problems:
            return
        terminalreporter.section("tests that did not run", sep="=", red=True, bold=True)
        for line in self.problems:
            terminalreporter.line(line)


def verdict(collected: Sequence[str], reported: set[str]) -> list[str]:
    """The lines that explain why the run proves less than it collected; empty when it is whole."""
    problems: list[str] = []
    for nodeid, count in sorted(Counter(collected).items()):
        if count > 1:
            problems.append(f"collected {count} times under one id (only one runs): {nodeid}")
    missing = sorted(set(collected) - reported)
    for nodeid in missing:
        problems.append(f"collected but reported no outcome: {nodeid}")
    if problems:
        problems.append(
            f"{len(collected)} collected, {len(set(collected) & reported)} reported an outcome"
        )
    return problems


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not _is_xdist_worker(config)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(EveryTestRuns(), "every_test_runs")
