"""Checking the next batches' fields in other processes while this one writes.

The field rules are pure Python and take most of an import's time (phone numbers, check digits,
amounts, dates for each of a million rows), while writing a batch mostly waits on the database.
A pool of checker processes (spawned, so nothing of this process's connections or threads is
inherited) takes whole batches in order; at most `processes + 1` batches are in flight, so
memory stays a few batches whatever the file's size, and results come back in file order.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from simexit.imports.reader import SourceRow
from simexit.imports.rows import CheckResult, RowChecker
from simexit.imports.rules import batches

_checker: RowChecker | None = None


def _install(checker: RowChecker) -> None:
    global _checker
    _checker = checker


def _check_batch(rows: list[SourceRow]) -> list[CheckResult]:
    assert _checker is not None  # noqa: S101 - the pool's initializer set it
    return [_checker.check(row) for row in rows]


def checked_elsewhere(
    source: Iterable[SourceRow], checker: RowChecker, *, batch_size: int, processes: int
) -> Iterator[list[CheckResult]]:
    """The rows' check results, batch by batch in file order, checked by `processes` others."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=_install, initargs=(checker,)
    ) as pool:
        pending: deque[Future[list[CheckResult]]] = deque()
        for batch in batches(source, batch_size):
            pending.append(pool.submit(_check_batch, batch))
            if len(pending) > processes:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
