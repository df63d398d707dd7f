"""Refusals of the staff use cases."""

from __future__ import annotations

from simexit.errors import Conflict, InvalidInput, NotFound
from simexit.staff import rules


class StaffNotFound(NotFound):
    code = "staff_not_found"


class EmailTaken(Conflict):
    code = "email_taken"


class PasswordTooShort(InvalidInput):
    code = rules.PASSWORD_TOO_SHORT


class PasswordTooLong(InvalidInput):
    code = rules.PASSWORD_TOO_LONG


class PasswordIsEmail(InvalidInput):
    code = rules.PASSWORD_IS_EMAIL


class StaffDisabled(Conflict):
    code = "staff_disabled"


_BY_RULE: dict[str, type[InvalidInput]] = {
    rules.PASSWORD_TOO_SHORT: PasswordTooShort,
    rules.PASSWORD_TOO_LONG: PasswordTooLong,
    rules.PASSWORD_IS_EMAIL: PasswordIsEmail,
}
_MESSAGES = {
    rules.PASSWORD_TOO_SHORT: f"the password must have at least {rules.MIN_PASSWORD_LENGTH} characters",
    rules.PASSWORD_TOO_LONG: f"the password must have at most {rules.MAX_PASSWORD_LENGTH} characters",
    rules.PASSWORD_IS_EMAIL: "the password must not be the e-mail address",
}


def password_message(rule: str) -> str:
    return _MESSAGES[rule]


def check_password(password: str, *, email: str | None) -> None:
    """Raise the refusal named after the rule `password` breaks (field `password`)."""
    rule = rules.password_rule_broken(password, email=email)
    if rule is not None:
        raise _BY_RULE[rule](
            _MESSAGES[rule],
            field="password",
            rule=rule,
            min_length=rules.MIN_PASSWORD_LENGTH,
        )
