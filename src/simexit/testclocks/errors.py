"""The refusals of test clocks, each with its own code (problem+json `code`)."""

from __future__ import annotations

from simexit.errors import Conflict, InvalidInput, NotFound


class TestClockNotFound(NotFound):
    __test__ = False
    code = "test_clock_not_found"


class NotSandbox(Conflict):
    """A production operator's time is the wall clock's, always."""

    code = "operator_not_sandbox"


class TestClockExists(Conflict):
    __test__ = False
    code = "test_clock_exists"


class NotForward(InvalidInput):
    """A clock only moves forward: what happened at a time cannot happen again."""

    code = "test_clock_not_forward"


class AdvanceTooFar(InvalidInput):
    """Years of scans in one call is a typo rather than a test."""

    code = "test_clock_advance_too_far"
