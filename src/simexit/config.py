"""Settings from `SIMEXIT_` environment variables and `.env`, validated at start.

Only the edges (api, web, cli, worker, db) read these; services get values as arguments.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from simexit.errors import ConfigurationError

PLACEHOLDER_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside local/test


class Environment(StrEnum):
    local = "local"
    test = "test"
    staging = "staging"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIMEXIT_", env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Environment.local
    database_url: str = "sqlite:///./simexit.db"
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    base_url: str = ""
    policy_dirs: list[Path] = Field(default_factory=list)
    policy_strict: bool = True
    seed_demo_on_empty: bool = True
    # Reverse proxies whose X-Forwarded-For is believed (for per-client throttles); empty = none.
    trusted_proxies: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    log_json: bool = True

    # Notifications: empty host/url means the local sink (shown in the console).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: str = "none"  # none | starttls | tls
    mail_from: str = "simexit <no-reply@simexit.local>"
    kannel_sendsms_url: str = ""
    kannel_username: str = ""
    kannel_password: SecretStr = SecretStr("")
    sms_sender: str = "simexit"

    worker_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    worker_batch_size: Annotated[int, Field(ge=1, le=1000)] = 20
    # Above the transports' timeouts (SMTP 20 s, Kannel 15 s, webhooks 10 s): a delivery runs
    # outside any transaction, and one that outlasted its lease could be sent again by another
    # worker that reclaimed the job.
    job_lease_seconds: Annotated[int, Field(ge=30, le=86400)] = 300

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(
                "must start with sqlite: or postgresql (for example postgresql+psycopg://...)"
            )
        return value

    @field_validator("smtp_security")
    @classmethod
    def _known_security(cls, value: str) -> str:
        if value not in {"none", "starttls", "tls"}:
            raise ValueError("must be one of none, starttls, tls")
        return value

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.env in {Environment.staging, Environment.production} and (
            self.secret_key.get_secret_value() == PLACEHOLDER_SECRET
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError(
                "SIMEXIT_SECRET_KEY must be set to 32 or more random characters outside local and test"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Build settings, turning pydantic's error into one readable start-up message."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"SIMEXIT_{'__'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
