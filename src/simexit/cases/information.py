"""Rules of an information request: what may be asked for, by when, and the SLA time it stops.
Pure: dates are passed in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from simexit.cases.errors import InformationMissing, InvalidDueDate
from simexit.errors import InvalidInput

# What an agent may ask the subscriber for; the portal and console name each in four languages.
INFORMATION_KINDS: Final = ("id_copy", "purchase_proof", "corrected_name", "other")
# The longest an agent may give the subscriber (a product limit, not an operator's rule).
MAX_DAYS_TO_ANSWER: Final = 60
MAX_MESSAGE_CHARS: Final = 2000
# The rejection reason of a request whose due date passed with no answer.
LAPSED_REASON: Final = "information_not_provided"


def check_request(kind: str, due_date: date, *, today: date) -> None:
    if kind not in INFORMATION_KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(INFORMATION_KINDS)}", field="kind")
    if due_date <= today or due_date > today + timedelta(days=MAX_DAYS_TO_ANSWER):
        raise InvalidDueDate(
            f"the due date must be after today and at most {MAX_DAYS_TO_ANSWER} days away",
            field="due_date",
            max_days=str(MAX_DAYS_TO_ANSWER),
        )


def check_answer(text: str | None, *, has_file: bool) -> None:
    if not (text and text.strip()) and not has_file:
        raise InformationMissing("give an answer, a file, or both", field="text")


def days_waited(asked_on: date, answered_on: date) -> int:
    """Whole operator days the case waited for the subscriber: the SLA due date moves by them."""
    return max(0, (answered_on - asked_on).days)


def resumed_due_date(due: date | None, waited: int) -> date | None:
    return None if due is None else due + timedelta(days=waited)


def lapsed(due_date: date, *, today: date) -> bool:
    """The subscriber may answer through the whole due date, in the operator's calendar."""
    return today > due_date
