from __future__ import annotations

import pytest

from simexit.config import load_settings
from simexit.errors import ConfigurationError


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIMEXIT_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.is_sqlite


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SIMEXIT_DATABASE_URL", "mysql://x", "SIMEXIT_DATABASE_URL"),
        ("SIMEXIT_PORT", "70000", "SIMEXIT_PORT"),
        ("SIMEXIT_SMTP_SECURITY", "ssl3", "SIMEXIT_SMTP_SECURITY"),
        ("SIMEXIT_WORKER_BATCH_SIZE", "0", "SIMEXIT_WORKER_BATCH_SIZE"),
        # shorter than the SMTP timeout: a slow send could be reclaimed and sent twice
        ("SIMEXIT_JOB_LEASE_SECONDS", "10", "SIMEXIT_JOB_LEASE_SECONDS"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=named):
        load_settings()


def test_production_refuses_the_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMEXIT_ENV", "production")
    monkeypatch.delenv("SIMEXIT_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SIMEXIT_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("SIMEXIT_SECRET_KEY", "x" * 40)
    assert load_settings().secret_key.get_secret_value() == "x" * 40
