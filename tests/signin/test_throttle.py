"""The sign-in throttle: the delay rule (pure), and counting in the database (both back ends),
also under concurrent attempts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from simexit.db import Database
from simexit.models import SignInFailure
from simexit.signin import throttle
from simexit.signin.throttle import SignInLimits, Throttled, delay_after

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
CAP = timedelta(minutes=15)


class TestDelayAfter:
    @pytest.mark.parametrize(
        ("failures", "seconds"),
        [(0, 0), (4, 0), (5, 2), (6, 4), (7, 8), (13, 512), (14, 900), (60, 900), (10**6, 900)],
    )
    def test_doubles_after_the_free_failures_up_to_the_cap(
        self, failures: int, seconds: int
    ) -> None:
        assert delay_after(failures, 5, CAP) == timedelta(seconds=seconds)


def _claim(db: Database, limits: SignInLimits, now: datetime, account: str = "a") -> int | None:
    try:
        with db.session() as session:
            throttle.claim(
                session, limits, account_key=f"account:{account}", client_key="client:c", now=now
            )
    except Throttled as throttled:
        return throttled.retry_after
    return None


def _failures(db: Database, key: str) -> int:
    with db.read_session() as session:
        return throttle.failures(session, key)


class TestClaim:
    def test_waits_grow_after_the_free_failures(self, db: Database) -> None:
        limits = SignInLimits(free_per_account=2, free_per_client=100)
        assert _claim(db, limits, NOW) is None
        assert _claim(db, limits, NOW) is None  # second failure: the next must wait 2 s
        assert _claim(db, limits, NOW) == 2
        assert _claim(db, limits, NOW + timedelta(seconds=2)) is None  # third: wait 4 s
        assert _claim(db, limits, NOW + timedelta(seconds=3)) == 3
        assert _failures(db, "account:a") == 3

    def test_a_refused_attempt_is_not_counted_against_the_client(self, db: Database) -> None:
        limits = SignInLimits(free_per_account=1, free_per_client=100)
        assert _claim(db, limits, NOW) is None
        assert _claim(db, limits, NOW) == 2
        assert _failures(db, "client:c") == 1

    def test_the_client_limit_spans_accounts(self, db: Database) -> None:
        limits = SignInLimits(free_per_account=100, free_per_client=3)
        for n in range(3):
            assert _claim(db, limits, NOW, account=str(n)) is None
        assert _claim(db, limits, NOW, account="fresh") == 2
        assert _failures(db, "account:fresh") == 0

    def test_a_day_later_counting_starts_again(self, db: Database) -> None:
        limits = SignInLimits(free_per_account=2, free_per_client=100)
        _claim(db, limits, NOW)
        _claim(db, limits, NOW)
        assert _claim(db, limits, NOW + throttle.FORGET_AFTER) is None
        assert _failures(db, "account:a") == 1

    def test_forget_clears_the_account_and_takes_one_back_from_the_client(
        self, db: Database
    ) -> None:
        limits = SignInLimits()
        _claim(db, limits, NOW)
        _claim(db, limits, NOW)
        with db.session() as session:
            throttle.forget(session, account_key="account:a", client_key="client:c")
        assert _failures(db, "account:a") == 0
        assert _failures(db, "client:c") == 1

    def test_purge_deletes_only_expired_rows(self, db: Database) -> None:
        limits = SignInLimits()
        _claim(db, limits, NOW)
        _claim(db, limits, NOW + timedelta(hours=30), account="later")
        with db.session() as session:
            assert throttle.purge_expired(session, now=NOW + timedelta(hours=25)) == 1
        with db.read_session() as session:
            keys = set(session.scalars(select(SignInFailure.key)))
        assert keys == {"account:later", "client:c"}


ATTEMPTS_AT_ONCE = 12


def test_concurrent_attempts_are_all_counted(db: Database) -> None:
    """N threads, each its own transaction, count exactly N on both databases (no lost update)."""
    limits = SignInLimits(free_per_account=1000, free_per_client=1000)
    start = threading.Barrier(ATTEMPTS_AT_ONCE)
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            start.wait()
            assert _claim(db, limits, NOW) is None
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS_AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert _failures(db, "account:a") == ATTEMPTS_AT_ONCE
    assert _failures(db, "client:c") == ATTEMPTS_AT_ONCE


def test_concurrent_attempts_past_the_free_ones_get_one_opening(db: Database) -> None:
    """Once the delays start, attempts sent together get exactly one check between them."""
    limits = SignInLimits(free_per_account=1, free_per_client=1000)
    start = threading.Barrier(ATTEMPTS_AT_ONCE)
    outcomes: list[int | None] = []
    lock = threading.Lock()

    def attempt() -> None:
        start.wait()
        outcome = _claim(db, limits, NOW)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS_AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count(None) == 1
    assert _failures(db, "account:a") == 1
