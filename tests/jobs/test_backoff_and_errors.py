"""Pure parts of the queue: back-off bounds, error redaction, periodic time slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simexit.jobs.registry import exponential
from simexit.jobs.runner import periodic_dedup_key, short_error, slot_start


class TestExponentialBackoff:
    @pytest.mark.parametrize(
        ("attempt", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (50, 3600)]
    )
    def test_nominal_doubles_up_to_the_cap(self, attempt: int, seconds: int) -> None:
        assert exponential(base_seconds=30, cap_seconds=3600).nominal(attempt) == timedelta(
            seconds=seconds
        )

    @given(st.integers(min_value=1, max_value=100))
    def test_jittered_delay_is_between_half_and_all_of_nominal(self, attempt: int) -> None:
        backoff = exponential(base_seconds=30, cap_seconds=3600)
        delay = backoff.delay(attempt)
        assert backoff.nominal(attempt) / 2 <= delay <= backoff.nominal(attempt)


class TestShortError:
    def test_removes_passwords_from_urls_and_fields(self) -> None:
        error = short_error(
            "GET http://kannel:13013/cgi-bin/sendsms?username=u&password=hunter2&to=1 failed; token: abc"
        )
        assert "hunter2" not in error
        assert "abc" not in error
        assert "password=***" in error

    def test_removes_userinfo_from_urls(self) -> None:
        assert "s3cret" not in short_error("cannot reach smtp://user:s3cret@mail.example:25")

    def test_is_one_bounded_line(self) -> None:
        error = short_error(ValueError("x\n" * 1000))
        assert "\n" not in error
        assert len(error) <= 400
        assert error.startswith("ValueError: x x")


class TestPeriodicSlots:
    def test_slot_start_floors_to_the_interval(self) -> None:
        now = datetime(2026, 11, 20, 9, 30, 42, tzinfo=UTC)
        assert slot_start(now, timedelta(minutes=1)) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
        assert slot_start(now, timedelta(hours=1)) == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def test_dedup_key_names_the_job_and_slot(self) -> None:
        slot = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
        assert (
            periodic_dedup_key("cases.scan_due", slot) == "periodic:cases.scan_due:20261120T093000Z"
        )
