"""`simexit staff`: create, list, disable staff users and reset a password.

The password is read from a hidden prompt with confirmation, or with `--password-stdin` from the
first line of standard input (for scripts). Without a terminal (or with `CI` set) there is no
prompt: the command asks for `--password-stdin` instead of waiting for input that never comes.
The password is checked against the rule and hashed (argon2) before the one transaction opens.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simexit.clock import utc_now
from simexit.errors import InvalidInput
from simexit.principals import Actor, ActorType, StaffRole
from simexit.runtime import runtime_from_env
from simexit.staff import rules, service

app = typer.Typer(no_args_is_help=True, help="Staff users of an operator's console.")
CLI_ACTOR = Actor(ActorType.cli, "staff")

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input."
    ),
]


def can_prompt() -> bool:
    return sys.stdin.isatty() and not os.environ.get("CI")


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not can_prompt():
        raise InvalidInput(
            "no terminal to ask for the password on; pipe it in with --password-stdin",
            field="password",
        )
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command()
def create(
    operator: Annotated[str, typer.Option(help="Operator code, e.g. telenor-no.")],
    email: Annotated[str, typer.Option(help="The address the user signs in with.")],
    name: Annotated[str, typer.Option(help="The user's full name.")],
    role: Annotated[StaffRole, typer.Option(help="agent, supervisor or admin.")] = StaffRole.agent,
    language: Annotated[str, typer.Option(help="Console language: en, nb, ru, zh_Hans.")] = "en",
    password_stdin: PasswordStdin = False,
) -> None:
    """Make a staff user who signs in to the console with this e-mail address and password."""
    if language not in rules.LANGUAGES:
        raise InvalidInput(
            f"unknown language {language!r}; known: {', '.join(rules.LANGUAGES)}",
            field="language",
        )
    runtime = runtime_from_env()
    password = service.prepare_password(
        read_password(password_stdin), email=email, hasher=runtime.passwords.hash
    )
    with runtime.db.session() as session:
        staff = service.create_staff(
            session,
            actor=CLI_ACTOR,
            operator_id=service.operator_id_of_code(session, operator),
            new=service.NewStaff(email=email, full_name=name, role=role, language=language),
            password=password,
            now=utc_now(),
        )
        typer.echo(f"created {staff.email} ({staff.role}) {staff.id}")


@app.command("list")
def list_staff(
    operator: Annotated[str | None, typer.Option(help="Only this operator's users.")] = None,
) -> None:
    runtime = runtime_from_env()
    table = Table("email", "operator", "name", "role", "language", "created", "disabled")
    with runtime.db.read_session() as session:
        for staff, operator_code in service.staff_with_operator_codes(session, operator):
            table.add_row(
                staff.email,
                operator_code,
                staff.full_name,
                staff.role,
                staff.language,
                staff.created_at.isoformat(timespec="seconds"),
                staff.disabled_at.isoformat(timespec="seconds") if staff.disabled_at else "",
            )
    Console(width=160).print(table)


@app.command()
def disable(email: Annotated[str, typer.Argument(help="The user's e-mail address.")]) -> None:
    """The user can no longer sign in; their web sessions end now."""
    runtime = runtime_from_env()
    with runtime.db.session() as session:
        found = service.staff_by_email(session, email)
        staff = service.disable_staff(
            session, actor=CLI_ACTOR, operator_id=None, staff_id=found.id, now=utc_now()
        )
        typer.echo(f"disabled {staff.email}")


@app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password; the user's web sessions end."""
    runtime = runtime_from_env()
    password = service.prepare_password(
        read_password(password_stdin), email=email, hasher=runtime.passwords.hash
    )
    with runtime.db.session() as session:
        found = service.staff_by_email(session, email)
        staff = service.reset_password(
            session,
            actor=CLI_ACTOR,
            operator_id=None,
            staff_id=found.id,
            password=password,
            now=utc_now(),
        )
        typer.echo(f"password reset for {staff.email}")
