"""Where a refund is paid: checked, normalised and masked. Pure: no I/O, no clock.

A subscriber (or an agent for them) says where the remaining balance goes, as the pack allows
(`prepaid.balance_on_cancel.methods`): a bank account (`bank_transfer`), the card they paid with
(`card`), or another line of theirs at the same operator (`same_operator_number`). Which bank
account forms a country's banks use is the country pack's `payouts.account_formats`.

Each form is checked as its scheme defines it, by a library where one exists:

- `no_account`: a Norwegian account number, 11 digits with its MOD11 check (python-stdnum);
- `iban`: an IBAN with its country's length and MOD97 check, and the bank's BIC (schwifty);
- `us_account`: an ABA routing number with its check digit (python-stdnum) and an account
  number of 4 to 17 digits (the ACH limit);
- `ru_account`: a 20-digit account with the Bank of Russia control key, computed with the last
  three digits of the bank's 9-digit BIC (Bank of Russia Regulation 579-P, appendix). No
  library checks it, so `_ru_control_key_ok` does.

What comes back is the destination as a payment file needs it (`Destination`) and a masked
form for people (`•••• 7947`). The full value is stored only sealed (`refunds.sealing`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.no import kontonr
from stdnum.us import rtn

from simexit.kit.problems import FieldProblem


class DestinationKind(StrEnum):
    no_account = "no_account"
    iban = "iban"
    us_account = "us_account"
    ru_account = "ru_account"
    card = "card"
    line = "line"


BANK_KINDS: Final = frozenset(
    {
        DestinationKind.no_account,
        DestinationKind.iban,
        DestinationKind.us_account,
        DestinationKind.ru_account,
    }
)
# The pack's payout methods (`balance_on_cancel.methods`) and the destination kinds each allows.
METHOD_OF_KIND: Final[Mapping[DestinationKind, str]] = {
    **dict.fromkeys(BANK_KINDS, "bank_transfer"),
    DestinationKind.card: "card",
    DestinationKind.line: "same_operator_number",
}

_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s.\-]")
_NAME_LIMIT: Final = 140  # pain.001's Max140Text for the creditor's name
_CARD_TOKEN = re.compile(r"[A-Za-z0-9_\-]{6,64}")
_RU_WEIGHTS: Final = ((7, 1, 3) * 8)[:23]


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked destination. `account` is the account number, IBAN, card token or line id;
    `bank_id` the BIC, ABA routing number or Russian BIC where the form has one."""

    kind: DestinationKind
    holder_name: str
    account: str
    bank_id: str | None = None

    @property
    def masked(self) -> str:
        if self.kind is DestinationKind.line:
            return "line"  # the line's own number is shown where the line is
        return f"{self.kind.value} •••• {self.account[-4:]}"

    def as_dict(self) -> dict[str, str]:
        found = {"kind": self.kind.value, "holder_name": self.holder_name, "account": self.account}
        if self.bank_id is not None:
            found["bank_id"] = self.bank_id
        return found

    @classmethod
    def from_dict(cls, values: Mapping[str, str]) -> Destination:
        return cls(
            kind=DestinationKind(values["kind"]),
            holder_name=values["holder_name"],
            account=values["account"],
            bank_id=values.get("bank_id"),
        )


@dataclass(frozen=True, slots=True)
class Allowed:
    """What the operator's packs allow: payout methods and the country's bank account forms."""

    methods: frozenset[str]
    account_formats: frozenset[DestinationKind]


def check_destination(
    values: Mapping[str, object], allowed: Allowed
) -> tuple[Destination | None, list[FieldProblem]]:
    """The destination in `values` (`kind`, `holder_name`, `account`, `bank_id`), checked; or
    None and every problem, each naming the field and the rule."""
    problems: list[FieldProblem] = []
    kind = _kind(values.get("kind"), allowed, problems)
    holder = _holder(values.get("holder_name"), problems)
    if kind is None:
        return None, problems
    account_text = _text(values.get("account"))
    bank_text = _text(values.get("bank_id"))
    if not account_text:
        problems.append(FieldProblem("account", "required", "is required"))
        return None, problems
    checked = _CHECKS[kind](account_text, bank_text, problems)
    if checked is None or problems or holder is None:
        return None, problems
    account, bank_id = checked
    return Destination(kind, holder, account, bank_id), problems


def _kind(value: object, allowed: Allowed, problems: list[FieldProblem]) -> DestinationKind | None:
    try:
        kind = DestinationKind(str(value))
    except ValueError:
        options = ", ".join(k.value for k in DestinationKind)
        problems.append(
            FieldProblem("kind", "one_of", f"must be one of {options}", {"options": options})
        )
        return None
    if METHOD_OF_KIND[kind] not in allowed.methods:
        problems.append(
            FieldProblem(
                "kind",
                "payout_method_not_allowed",
                "the operator's rules do not allow refunds this way",
                {"method": METHOD_OF_KIND[kind]},
            )
        )
        return None
    if kind in BANK_KINDS and kind not in allowed.account_formats:
        problems.append(
            FieldProblem(
                "kind",
                "account_format_not_used",
                "banks of the operator's country do not use this account form",
                {"options": ", ".join(sorted(allowed.account_formats))},
            )
        )
        return None
    return kind


def _holder(value: object, problems: list[FieldProblem]) -> str | None:
    name = " ".join(_text(value).split())
    if not name:
        problems.append(FieldProblem("holder_name", "required", "is required"))
        return None
    if len(name) > _NAME_LIMIT:
        problems.append(
            FieldProblem(
                "holder_name",
                "string_too_long",
                f"must be at most {_NAME_LIMIT} characters",
                {"max_length": str(_NAME_LIMIT)},
            )
        )
        return None
    return name


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


Checked = tuple[str, str | None] | None


def _no_account(account: str, _bank: str, problems: list[FieldProblem]) -> Checked:
    digits = _SEPARATORS.sub("", account)
    if not (len(digits) == 11 and digits.isdigit()):
        problems.append(FieldProblem("account", "no_account_length", "must be 11 digits"))
        return None
    if not kontonr.is_valid(digits):
        problems.append(
            FieldProblem("account", "check_digit", "the MOD11 check digit does not match")
        )
        return None
    return digits, None


def _iban(account: str, bank: str, problems: list[FieldProblem]) -> Checked:
    try:
        iban = IBAN(account)
    except SchwiftyException as error:
        problems.append(FieldProblem("account", "iban", f"is not a valid IBAN ({error})"))
        return None
    bic = _bic(bank, problems) if bank else iban.bic
    if bic is None:
        if not bank:
            problems.append(
                FieldProblem("bank_id", "required", "the BIC is required for this IBAN")
            )
        return None
    return iban.compact, str(bic)


def _bic(text: str, problems: list[FieldProblem]) -> BIC | None:
    try:
        return BIC(text)
    except SchwiftyException as error:
        problems.append(FieldProblem("bank_id", "bic", f"is not a valid BIC ({error})"))
        return None


def _us_account(account: str, bank: str, problems: list[FieldProblem]) -> Checked:
    routing = _SEPARATORS.sub("", bank)
    if not routing:
        problems.append(FieldProblem("bank_id", "required", "the ABA routing number is required"))
    elif not (len(routing) == 9 and routing.isdigit() and rtn.is_valid(routing)):
        problems.append(
            FieldProblem("bank_id", "aba_routing", "is not a valid 9-digit ABA routing number")
        )
    digits = _SEPARATORS.sub("", account)
    if not (4 <= len(digits) <= 17 and _DIGITS.fullmatch(digits)):
        problems.append(FieldProblem("account", "us_account_length", "must be 4 to 17 digits"))
    return None if problems else (digits, routing)


def _ru_account(account: str, bank: str, problems: list[FieldProblem]) -> Checked:
    bic = _SEPARATORS.sub("", bank)
    digits = _SEPARATORS.sub("", account)
    if not (len(bic) == 9 and bic.isdigit() and bic.startswith("04")):
        problems.append(
            FieldProblem("bank_id", "ru_bic", "must be the bank's 9-digit BIC, starting 04")
        )
    if not (len(digits) == 20 and digits.isdigit()):
        problems.append(FieldProblem("account", "ru_account_length", "must be 20 digits"))
    if problems:
        return None
    if not _ru_control_key_ok(bic, digits):
        problems.append(
            FieldProblem("account", "check_digit", "the control key does not match the bank's BIC")
        )
        return None
    return digits, bic


def _ru_control_key_ok(bic: str, account: str) -> bool:
    # A settlement account is checked with the BIC's last three digits in front of it; each
    # digit is weighted 7, 1, 3 in turn and the sum must end in 0.
    number = bic[-3:] + account
    return sum(int(d) * w for d, w in zip(number, _RU_WEIGHTS, strict=True)) % 10 == 0


def _card(account: str, _bank: str, problems: list[FieldProblem]) -> Checked:
    # A token of the card the subscriber paid with, as the payment provider issued it; a card
    # number itself is never taken (PCI DSS keeps it with the provider).
    if not _CARD_TOKEN.fullmatch(account) or account.isdigit():
        problems.append(
            FieldProblem(
                "account",
                "card_token",
                "must be the payment provider's card token (6-64 letters, digits, _ or -), "
                "never a card number",
            )
        )
        return None
    return account, None


def _line(account: str, _bank: str, problems: list[FieldProblem]) -> Checked:
    # The target line's id is checked against the database by the service (same subscriber,
    # same operator, active); here only its form.
    if not re.fullmatch(r"[0-9a-fA-F-]{32,36}", account):
        problems.append(FieldProblem("account", "uuid", "must be the id of the line to credit"))
        return None
    return account.lower(), None


_CHECKS = {
    DestinationKind.no_account: _no_account,
    DestinationKind.iban: _iban,
    DestinationKind.us_account: _us_account,
    DestinationKind.ru_account: _ru_account,
    DestinationKind.card: _card,
    DestinationKind.line: _line,
}
