"""Start-up work of a serving process: what it prepares before the first request."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from simexit.integrations.smtp.client import SmtpConfig, SmtpEmailSender
from simexit.runtime import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_the_start_up_heap_is_kept_out_of_full_collections(unfrozen: None) -> None:
    assert gc.get_freeze_count() == 0
    survivor = [object() for _ in range(1000)]
    freeze_startup_heap()
    assert gc.get_freeze_count() >= len(survivor)
    # Frozen objects sit in the permanent generation: a full pass no longer walks them.
    assert all(tracked is not survivor for tracked in gc.get_objects(generation=2))


def test_preparing_the_smtp_sender_talks_to_nobody() -> None:
    # Port 9 (discard) on a documentation address: a connection attempt would fail loudly.
    sender = SmtpEmailSender(SmtpConfig(host="192.0.2.1", port=9, timeout_seconds=0.1))
    sender.prepare()
