"""The password rule for staff users, pure: the API's validators and the service share it.

A minimum length (NIST SP 800-63B asks for at least 8; an admin's console reaches every
subscriber, so 12), a maximum the sign-in form still accepts, and never the e-mail address or
its local part (case-insensitive): the first thing an attacker tries.
"""

from __future__ import annotations

from typing import Final

MIN_PASSWORD_LENGTH: Final = 12
# The console's sign-in form trims what it reads at 500 characters.
MAX_PASSWORD_LENGTH: Final = 500

PASSWORD_TOO_SHORT: Final = "password_too_short"  # noqa: S105 - rule names
PASSWORD_TOO_LONG: Final = "password_too_long"  # noqa: S105
PASSWORD_IS_EMAIL: Final = "password_is_email"  # noqa: S105

# A staff sign-in: printable ASCII before the @ (no spaces), a DNS name after it. Spelled as
# ranges rather than [^@\s]: generators and validators disagree on what \s holds (U+0085).
EMAIL_PATTERN: Final = r"^[!-?A-~]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
LANGUAGES: Final = ("en", "nb", "ru", "zh_Hans")


def password_rule_broken(password: str, *, email: str | None) -> str | None:
    """The code of the rule `password` breaks, or None when it may be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return PASSWORD_TOO_SHORT
    if len(password) > MAX_PASSWORD_LENGTH:
        return PASSWORD_TOO_LONG
    if email:
        typed = password.strip().casefold()
        address = email.casefold()
        if typed in {address, address.split("@", 1)[0]}:
            return PASSWORD_IS_EMAIL
    return None


def normal_email(email: str) -> str:
    """E-mail addresses are compared and stored lower-case (the sign-in form lowers what it reads)."""
    return email.strip().lower()
