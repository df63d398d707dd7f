"""`simexit staff create|list|disable|reset-password` against a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner, Result

from simexit.cli import app
from simexit.cli import staff as staff_cli
from simexit.config import get_settings
from simexit.db import Database
from simexit.errors import DomainError
from simexit.models import AuditEvent, StaffUser

EMAIL = "ola.nordmann@telenor.example"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("SIMEXIT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "demo"]).exit_code == 0
    yield path
    get_settings.cache_clear()


def _staff(path: Path) -> StaffUser:
    db = Database(f"sqlite:///{path}")
    try:
        with db.read_session() as session:
            found = session.scalars(select(StaffUser).where(StaffUser.email == EMAIL)).one()
            session.expunge(found)
            return found
    finally:
        db.dispose()


def _refusal(result: Result) -> tuple[str, str]:
    """The refusal a command raised; `simexit.cli.run` prints it as one line and exits 2."""
    assert result.exit_code != 0
    assert isinstance(result.exception, DomainError), result.output
    return result.exception.code, result.exception.message


def _create(runner: CliRunner, password: str) -> Result:
    return runner.invoke(
        app,
        [
            "staff",
            "create",
            "--operator",
            "telenor-no",
            "--email",
            EMAIL,
            "--name",
            "Ola",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=password,
    )


def test_create_list_disable_and_reset(database: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "staff",
            "create",
            "--operator",
            "telenor-no",
            "--email",
            EMAIL,
            "--name",
            "Ola",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
    )
    assert created.exit_code == 0, created.output
    assert f"created {EMAIL} (admin)" in created.output
    assert "passphrase" not in created.output
    assert PasswordHasher().verify(_staff(database).password_hash, "a long enough passphrase")

    listed = runner.invoke(app, ["staff", "list", "--operator", "telenor-no"])
    assert listed.exit_code == 0, listed.output
    assert EMAIL in listed.output
    assert "agent@telenor-no.demo" in listed.output
    assert "att-us" not in listed.output

    reset = runner.invoke(
        app, ["staff", "reset-password", EMAIL, "--password-stdin"], input="another passphrase!\n"
    )
    assert reset.exit_code == 0, reset.output
    assert PasswordHasher().verify(_staff(database).password_hash, "another passphrase!")

    disabled = runner.invoke(app, ["staff", "disable", EMAIL])
    assert disabled.exit_code == 0, disabled.output
    assert _staff(database).disabled_at is not None

    db = Database(f"sqlite:///{database}")
    try:
        with db.read_session() as session:
            actions = list(
                session.scalars(
                    select(AuditEvent.action).where(AuditEvent.subject_type == "staff_user")
                )
            )
    finally:
        db.dispose()
    assert actions == ["staff.created", "staff.password_reset", "staff.disabled"]


def test_a_weak_password_is_refused_by_its_rule(database: Path) -> None:
    runner = CliRunner()
    short = _create(runner, "short\n")
    assert _refusal(short) == (
        "password_too_short",
        "the password must have at least 12 characters",
    )
    as_email = _create(runner, EMAIL + "\n")
    assert _refusal(as_email)[0] == "password_is_email"


def test_without_a_terminal_there_is_no_prompt(database: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["staff", "create", "--operator", "telenor-no", "--email", EMAIL, "--name", "Ola"],
        input="",
    )
    code, message = _refusal(result)
    assert code == "invalid_input"
    assert "--password-stdin" in message


def test_on_a_terminal_the_password_is_asked_twice(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staff_cli, "can_prompt", lambda: True)
    runner = CliRunner()
    mismatch_then_match = (
        "first passphrase 1\nsecond passphrase\nthird passphrase\nthird passphrase\n"
    )
    result = runner.invoke(
        app,
        ["staff", "create", "--operator", "telenor-no", "--email", EMAIL, "--name", "Ola"],
        input=mismatch_then_match,
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert PasswordHasher().verify(_staff(database).password_hash, "third passphrase")


def test_unknown_operator_and_user_are_named(database: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(
        app,
        [
            "staff",
            "create",
            "--operator",
            "nope",
            "--email",
            EMAIL,
            "--name",
            "Ola",
            "--password-stdin",
        ],
        input="a long enough passphrase\n",
    )
    assert _refusal(unknown) == ("not_found", "no operator with code 'nope'")
    missing = runner.invoke(app, ["staff", "disable", "nobody@example.com"])
    assert _refusal(missing)[0] == "staff_not_found"
