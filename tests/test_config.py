"""Settings: every bad value is one line naming the variable and the rule; list settings read
the same text format everywhere; the environment decides the demo and the secret rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simexit.audit.signing import generate_private_key_pem
from simexit.config import Environment, load_settings
from simexit.errors import ConfigurationError

LONG_SECRET = "x" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SIMEXIT_* variable from the caller's shell, and no .env file to pick up."""
    for name in list(os.environ):
        if name.startswith("SIMEXIT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def signing_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Production needs a signing key file; tests of other production rules get one."""
    path = tmp_path / "audit-key.pem"
    path.write_bytes(generate_private_key_pem())
    monkeypatch.setenv("SIMEXIT_AUDIT_SIGNING_KEY_FILE", str(path))
    return path


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message, message
    return message


def test_defaults_are_the_embedded_mode() -> None:
    settings = load_settings()
    assert settings.is_sqlite
    assert settings.env is Environment.local
    assert settings.policy_dirs == []
    assert settings.trusted_proxies == []


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("SIMEXIT_DATABASE_URL", "mysql://x", "must start with sqlite: or postgresql"),
        ("SIMEXIT_PORT", "70000", "less than or equal to 65535"),
        ("SIMEXIT_PORT", "eighty", "valid integer"),
        ("SIMEXIT_SMTP_PORT", "0", "greater than or equal to 1"),
        ("SIMEXIT_SMTP_SECURITY", "ssl3", "must be one of none, starttls, tls"),
        ("SIMEXIT_WORKER_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("SIMEXIT_WORKER_POLL_SECONDS", "0", "greater than 0"),
        # shorter than the SMTP timeout: a slow send could be reclaimed and sent twice
        ("SIMEXIT_JOB_LEASE_SECONDS", "10", "greater than or equal to 30"),
        ("SIMEXIT_ENV", "prod", "'local', 'test', 'staging' or 'production'"),
        ("SIMEXIT_LOG_LEVEL", "loud", "must be one of DEBUG, INFO"),
        ("SIMEXIT_LOG_JSON", "sometimes", "valid boolean"),
        ("SIMEXIT_POLICY_STRICT", "sometimes", "valid boolean"),
        ("SIMEXIT_SEED_DEMO", "sometimes", "valid boolean"),
        ("SIMEXIT_BASE_URL", "simexit.example.com", "http:// or https:// URL"),
        ("SIMEXIT_KANNEL_SENDSMS_URL", "ftp://kannel/", "http:// or https:// URL"),
        ("SIMEXIT_MAIL_FROM", "nobody", "must be an address"),
        ("SIMEXIT_POLICY_DIRS", "/no/such/directory", "'/no/such/directory' is not a directory"),
        (
            "SIMEXIT_GATEWAYS_FILE",
            "/no/such/gateways.toml",
            "'/no/such/gateways.toml' is not a file",
        ),
        ("SIMEXIT_POLICY_DIRS", "[not json", "not a JSON list of strings"),
        ("SIMEXIT_POLICY_DIRS", "[1, 2]", "not a JSON list of strings"),
        ("SIMEXIT_TRUSTED_PROXIES", "10.0.0.1,proxy", "'proxy' is not an IP address or CIDR"),
        ("SIMEXIT_TRUSTED_PROXIES", '["10.0.0.300"]', "'10.0.0.300' is not an IP address"),
        ("SIMEXIT_TRUSTED_PROXIES", '{"a": 1}', "'{\"a\": 1}' is not an IP address"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable_and_the_rule(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, rule: str
) -> None:
    message = refusal(monkeypatch, **{variable: value})
    assert f"{variable}: " in message
    assert rule in message
    assert "Value error" not in message


def test_several_bad_values_are_all_named_on_the_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, SIMEXIT_PORT="0", SIMEXIT_TRUSTED_PROXIES="proxy")
    assert "SIMEXIT_PORT: " in message
    assert "SIMEXIT_TRUSTED_PROXIES: " in message


class TestSecretKey:
    @pytest.mark.parametrize("env", ["staging", "production"])
    def test_outside_local_a_missing_key_names_the_key(
        self, monkeypatch: pytest.MonkeyPatch, env: str
    ) -> None:
        message = refusal(monkeypatch, SIMEXIT_ENV=env)
        assert message.startswith("invalid settings: SIMEXIT_SECRET_KEY: must be set to 32")
        assert "SIMEXIT_:" not in message

    def test_a_short_key_is_refused_and_not_echoed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(monkeypatch, SIMEXIT_ENV="production", SIMEXIT_SECRET_KEY="short-key")
        assert "SIMEXIT_SECRET_KEY" in message
        assert "short-key" not in message

    @pytest.mark.usefixtures("signing_key_file")
    def test_a_long_key_starts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SIMEXIT_ENV", "production")
        monkeypatch.setenv("SIMEXIT_SECRET_KEY", LONG_SECRET)
        assert load_settings().secret_key.get_secret_value() == LONG_SECRET

    @pytest.mark.parametrize("env", ["local", "test"])
    def test_local_and_test_take_the_placeholder(
        self, monkeypatch: pytest.MonkeyPatch, env: str
    ) -> None:
        monkeypatch.setenv("SIMEXIT_ENV", env)
        assert load_settings().secret_key.get_secret_value()


class TestSeedDemo:
    @pytest.mark.parametrize(
        ("env", "seeds"),
        [("local", True), ("test", False), ("staging", False), ("production", False)],
    )
    @pytest.mark.usefixtures("signing_key_file")
    def test_unset_seeds_only_locally(
        self, monkeypatch: pytest.MonkeyPatch, env: str, seeds: bool
    ) -> None:
        monkeypatch.setenv("SIMEXIT_ENV", env)
        monkeypatch.setenv("SIMEXIT_SECRET_KEY", LONG_SECRET)
        assert load_settings().should_seed_demo is seeds

    def test_set_wins_outside_production(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SIMEXIT_SEED_DEMO", "false")
        assert load_settings().should_seed_demo is False
        monkeypatch.setenv("SIMEXIT_ENV", "staging")
        monkeypatch.setenv("SIMEXIT_SECRET_KEY", LONG_SECRET)
        monkeypatch.setenv("SIMEXIT_SEED_DEMO", "true")
        assert load_settings().should_seed_demo is True

    def test_production_refuses_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        message = refusal(
            monkeypatch,
            SIMEXIT_ENV="production",
            SIMEXIT_SECRET_KEY=LONG_SECRET,
            SIMEXIT_SEED_DEMO="true",
        )
        assert message.startswith("invalid settings: SIMEXIT_SEED_DEMO: demo accounts")

    @pytest.mark.usefixtures("signing_key_file")
    def test_production_takes_it_off(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SIMEXIT_ENV", "production")
        monkeypatch.setenv("SIMEXIT_SECRET_KEY", LONG_SECRET)
        monkeypatch.setenv("SIMEXIT_SEED_DEMO", "false")
        assert load_settings().should_seed_demo is False


class TestAuditSigningKey:
    def test_production_refuses_to_start_without_a_key_file(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        message = refusal(monkeypatch, SIMEXIT_ENV="production", SIMEXIT_SECRET_KEY=LONG_SECRET)
        assert message.startswith(
            "invalid settings: SIMEXIT_AUDIT_SIGNING_KEY_FILE: must name the PEM file"
        )

    def test_production_starts_with_one(
        self, monkeypatch: pytest.MonkeyPatch, signing_key_file: Path
    ) -> None:
        monkeypatch.setenv("SIMEXIT_ENV", "production")
        monkeypatch.setenv("SIMEXIT_SECRET_KEY", LONG_SECRET)
        assert load_settings().audit_signing_key_path == signing_key_file

    def test_a_missing_or_foreign_key_file_is_named(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        missing = refusal(monkeypatch, SIMEXIT_AUDIT_SIGNING_KEY_FILE=str(tmp_path / "nope.pem"))
        assert missing.startswith("invalid settings: SIMEXIT_AUDIT_SIGNING_KEY_FILE: cannot read")
        junk = tmp_path / "junk.pem"
        junk.write_text("not a key")
        message = refusal(monkeypatch, SIMEXIT_AUDIT_SIGNING_KEY_FILE=str(junk))
        assert "is not an unencrypted PEM private key" in message

    def test_embedded_default_keeps_key_and_checkpoints_beside_the_sqlite_file(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'x.db'}")
        settings = load_settings()
        assert (
            settings.audit_signing_key_path == tmp_path / "data" / "simexit-audit-signing-key.pem"
        )
        assert settings.audit_checkpoint_directory == tmp_path / "data" / "audit-checkpoints"

    def test_postgresql_has_no_default_checkpoint_directory(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SIMEXIT_DATABASE_URL", "postgresql+psycopg://u@h/db")
        assert load_settings().audit_checkpoint_directory is None


class TestListSettings:
    def test_policy_dirs_are_a_path_list(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        first, second = tmp_path / "a", tmp_path / "b"
        first.mkdir()
        second.mkdir()
        monkeypatch.setenv("SIMEXIT_POLICY_DIRS", f"{first}{os.pathsep}{os.pathsep}{second}")
        assert load_settings().policy_dirs == [first, second]

    def test_policy_dirs_still_read_a_json_list(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("SIMEXIT_POLICY_DIRS", f'["{tmp_path}"]')
        assert load_settings().policy_dirs == [tmp_path]

    def test_trusted_proxies_are_comma_separated(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SIMEXIT_TRUSTED_PROXIES", " 10.0.0.0/8, ::1 ,,127.0.0.1")
        assert load_settings().trusted_proxies == ["10.0.0.0/8", "::1", "127.0.0.1"]

    def test_trusted_proxies_still_read_a_json_list(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SIMEXIT_TRUSTED_PROXIES", '["10.0.0.5"]')
        assert load_settings().trusted_proxies == ["10.0.0.5"]

    @pytest.mark.parametrize("variable", ["SIMEXIT_POLICY_DIRS", "SIMEXIT_TRUSTED_PROXIES"])
    def test_empty_is_none(self, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
        monkeypatch.setenv(variable, "")
        settings = load_settings()
        assert settings.policy_dirs == []
        assert settings.trusted_proxies == []


def test_a_dotenv_file_is_checked_the_same_way(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SIMEXIT_TRUSTED_PROXIES=proxy\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="SIMEXIT_TRUSTED_PROXIES: 'proxy' is not"):
        load_settings()


def test_the_gateways_file_is_a_path_and_empty_is_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_settings().gateways_file is None
    monkeypatch.setenv("SIMEXIT_GATEWAYS_FILE", "")
    assert load_settings().gateways_file is None
    (tmp_path / "gateways.toml").write_text("[default]\n")
    monkeypatch.setenv("SIMEXIT_GATEWAYS_FILE", "gateways.toml")
    assert load_settings().gateways_file == Path("gateways.toml")
