"""Settings from `SIMEXIT_` environment variables and `.env`, validated at start.

Only the edges (api, web, cli, worker, db) read these; services get values as arguments.

Every rule a value must follow is checked here, so a bad value stops any entry point with one
line naming the variable and the rule (`load_settings`), never a traceback half-way through
start-up. Rules that depend on `SIMEXIT_ENV` are field validators reading the already validated
`env` (declared first), so the error names the variable that is wrong, not the model.

List settings are plain text, not JSON: `SIMEXIT_POLICY_DIRS` is a path list separated like
`PATH` (`os.pathsep`, `:` on Unix), `SIMEXIT_TRUSTED_PROXIES` is comma-separated. A JSON list
(`["a", "b"]`) is still read for both, as earlier releases asked for one.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from email.utils import parseaddr
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError
from sqlalchemy import make_url

from simexit.audit.signing import load_private_key, load_public_key
from simexit.errors import ConfigurationError

PLACEHOLDER_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside local/test
ENV_PREFIX = "SIMEXIT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Environment(StrEnum):
    local = "local"
    test = "test"
    staging = "staging"
    production = "production"


REAL_SECRET_REQUIRED = frozenset({Environment.staging, Environment.production})


class Settings(BaseSettings):
    """One field per `SIMEXIT_*` variable; README.md's Configuration table lists them all (a
    test compares the two)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Environment.local  # first: later rules read it
    database_url: str = "sqlite:///./simexit.db"
    secret_key: Annotated[SecretStr, Field(validate_default=True)] = SecretStr(PLACEHOLDER_SECRET)
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # When set, /metrics answers only `Authorization: Bearer <token>`; in staging and production
    # /metrics is not served at all without one (it names routes, queues and error rates).
    metrics_token: SecretStr = SecretStr("")
    # Larger API request bodies are refused with 413 before they are parsed.
    max_body_bytes: Annotated[int, Field(ge=1024, le=100 * 1024 * 1024)] = 1024 * 1024
    # The one larger body: a subscriber-base file sent to POST /v1/imports.
    import_max_bytes: Annotated[int, Field(ge=1024, le=8 * 1024**3)] = 1024**3
    # Files a subscriber uploads with an answer (PDF, JPEG, PNG) are refused above this size.
    attachment_max_bytes: Annotated[int, Field(ge=1024, le=50 * 1024 * 1024)] = 5 * 1024 * 1024
    # Where uploads are kept, sealed (embedded mode's file store). Unset: an `attachments`
    # directory next to the SQLite file, or in the working directory.
    attachment_dir: Path | None = None
    base_url: str = ""
    policy_dirs: Annotated[list[Path], NoDecode] = Field(default_factory=list)
    policy_strict: bool = True
    # Which adapter each operator's gateways use (TOML or JSON); unset: all simulated.
    gateways_file: Path | None = None
    # Demo operators, staff (password `demo-password`) and `*` API keys on an empty database.
    # Unset: on for `local` only. Refused in production.
    seed_demo: bool | None = None
    # Reverse proxies whose X-Forwarded-For is believed (for per-client throttles); empty = none.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    log_json: bool = True

    # Notifications: empty host/url means the local sink (shown in the console).
    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: str = "none"  # none | starttls | tls
    mail_from: str = "simexit <no-reply@simexit.local>"
    kannel_sendsms_url: str = ""
    kannel_username: str = ""
    kannel_password: SecretStr = SecretStr("")
    sms_sender: str = "simexit"
    push_url: str = ""  # the push service's message endpoint; empty: no push channel

    # Connections per process kept open to PostgreSQL, and as many again at peaks (SQLite: unused).
    database_pool_size: Annotated[int, Field(ge=1, le=500)] = 10
    worker_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    worker_batch_size: Annotated[int, Field(ge=1, le=1000)] = 20
    # Above the transports' timeouts (SMTP 20 s, Kannel 15 s, webhooks 10 s): a delivery runs
    # outside any transaction, and one that outlasted its lease could be sent again by another
    # worker that reclaimed the job.
    job_lease_seconds: Annotated[int, Field(ge=30, le=86400)] = 300
    # Finished jobs are kept this long for an operator to read, then deleted in batches; dead jobs
    # are never deleted (they wait for a person).
    done_jobs_keep_days: Annotated[int, Field(ge=0, le=3650)] = 7

    # Audit checkpoints (docs/adr/0003-hash-chained-audit.md). The signing key never lives in
    # the database: a PEM file of an Ed25519 private key, required in production. Unset
    # elsewhere: one is generated next to the SQLite file (or in the working directory).
    audit_signing_key_file: Annotated[Path | None, Field(validate_default=True)] = None
    # Checked by `simexit audit verify`; unset: the public half of the signing key.
    audit_public_key_file: Path | None = None
    # Where checkpoints are exported: a directory of <operator id>.jsonl files (unset: an
    # `audit-checkpoints` directory next to the SQLite file; none for PostgreSQL) and/or a URL.
    audit_checkpoint_dir: Path | None = None
    audit_checkpoint_webhook_url: str = ""

    # -- rules that depend on the environment

    @field_validator("secret_key")
    @classmethod
    def _real_secret_outside_local(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        secret = value.get_secret_value()
        if info.data.get("env") in REAL_SECRET_REQUIRED and (
            secret == PLACEHOLDER_SECRET or len(secret) < 32
        ):
            raise ValueError("must be set to 32 or more random characters outside local and test")
        return value

    @field_validator("seed_demo")
    @classmethod
    def _no_demo_in_production(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and info.data.get("env") is Environment.production:
            raise ValueError(
                "demo accounts (published password, API keys for every scope) are never "
                "created in production; unset it"
            )
        return value

    @field_validator("audit_signing_key_file")
    @classmethod
    def _signing_key_in_production(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            if info.data.get("env") is Environment.production:
                raise ValueError(
                    "must name the PEM file of the Ed25519 key that signs audit checkpoints in "
                    "production (kept outside the database; `simexit audit keygen FILE` makes one)"
                )
            return value
        load_private_key(value)  # SigningKeyError is a ValueError: one line naming the file
        return value

    @field_validator("audit_public_key_file")
    @classmethod
    def _readable_public_key(cls, value: Path | None) -> Path | None:
        if value is not None:
            load_public_key(value)
        return value

    # -- list settings: text in the environment, lists in code

    @field_validator("policy_dirs", mode="before")
    @classmethod
    def _path_list(cls, value: Any) -> Any:
        return _split(value, os.pathsep)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split(value, ",")

    @field_validator("policy_dirs")
    @classmethod
    def _existing_directories(cls, value: list[Path]) -> list[Path]:
        for directory in value:
            if not directory.is_dir():
                raise ValueError(f"{str(directory)!r} is not a directory")
        return value

    @field_validator("gateways_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("gateways_file")
    @classmethod
    def _existing_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR block (such as 10.0.0.0/8)"
                ) from None
        return value

    # -- single values

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(
                "must start with sqlite: or postgresql (for example postgresql+psycopg://...)"
            )
        return value

    @field_validator("base_url", "kannel_sendsms_url", "push_url", "audit_checkpoint_webhook_url")
    @classmethod
    def _http_url_or_empty(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be empty or an http:// or https:// URL with a host")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("smtp_security")
    @classmethod
    def _known_security(cls, value: str) -> str:
        if value not in {"none", "starttls", "tls"}:
            raise ValueError("must be one of none, starttls, tls")
        return value

    @field_validator("mail_from")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError("must be an address such as 'simexit <no-reply@example.com>'")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def _beside_database(self) -> Path:
        """The SQLite file's directory (the working directory for PostgreSQL or in-memory)."""
        if self.is_sqlite:
            name = make_url(self.database_url).database
            if name and name != ":memory:":
                return Path(name).resolve().parent
        return Path.cwd()

    @property
    def audit_signing_key_path(self) -> Path:
        """The configured key file, or where the embedded default keeps a generated one."""
        if self.audit_signing_key_file is not None:
            return self.audit_signing_key_file
        return self._beside_database / "simexit-audit-signing-key.pem"

    @property
    def audit_checkpoint_directory(self) -> Path | None:
        if self.audit_checkpoint_dir is not None:
            return self.audit_checkpoint_dir
        return self._beside_database / "audit-checkpoints" if self.is_sqlite else None

    @property
    def attachment_directory(self) -> Path:
        if self.attachment_dir is not None:
            return self.attachment_dir
        return self._beside_database / "attachments"

    @property
    def should_seed_demo(self) -> bool:
        """`SIMEXIT_SEED_DEMO`, or when unset: only in `local`."""
        return self.env is Environment.local if self.seed_demo is None else self.seed_demo


def _split(value: Any, separator: str) -> Any:
    """A list setting's text: a JSON list, or entries joined by `separator` (blanks dropped).
    Lists given in code (`Settings(trusted_proxies=[...])`) pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"starts with '[' but is not a JSON list of strings: {text}") from None
        if not isinstance(decoded, list) or not all(isinstance(item, str) for item in decoded):
            raise ValueError(f"starts with '[' but is not a JSON list of strings: {text}")
        return decoded
    return [entry.strip() for entry in text.split(separator) if entry.strip()]


def variable_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _describe(error: Any) -> str:
    field, *inside = [str(part) for part in error["loc"]] or [""]
    name = variable_name(field) if field else "settings"
    where = f" (at {'.'.join(inside)})" if inside else ""
    rule = str(error["msg"]).removeprefix("Value error, ")
    return f"{name}{where}: {rule}"


_SETTINGS_ERROR_FIELD = re.compile(r'field "(?P<field>[^"]+)"')


def load_settings() -> Settings:
    """Build settings; any bad value becomes one `ConfigurationError` line that names each
    variable and its rule (the edges print it and exit)."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(_describe(e) for e in error.errors())
        raise ConfigurationError(f"invalid settings: {problems}") from None
    except SettingsError as error:  # a source could not be read at all (e.g. a .env file)
        found = _SETTINGS_ERROR_FIELD.search(str(error))
        name = variable_name(found["field"]) if found else "settings"
        cause = f": {error.__cause__}" if error.__cause__ else ""
        raise ConfigurationError(f"invalid settings: {name}: cannot be read{cause}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
