"""Posted forms as pydantic models, and the sentences a refused field is shown with.

`Form.parse(form)` gives the model, or `FormErrors`: for each refused field the sentence to show,
in the source language (an `N_` message), translated when the page is rendered. A rule of our
own refuses with `refuse(N_("..."))`; a value pydantic itself refuses (not one of an enum's
values, say) is shown with the sentence in the model's `refusals` for that field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData

from simexit.web.i18n import N_, Texts

REFUSED = "simexit_refused"
UNREADABLE = N_("This form could not be read. Please go back, reload the page and try again.")


def refuse(message: str) -> PydanticCustomError:
    """A field's value breaks one of our rules; `message` is the sentence shown for it."""
    return PydanticCustomError(REFUSED, message)


def _trimmed(limit: int, *, empty_is_none: bool) -> Callable[[Any], str | None]:
    def trim(value: Any) -> str | None:
        text = value.strip()[:limit] if isinstance(value, str) else ""
        return None if empty_is_none and not text else text

    return trim


def trimmed(limit: int) -> BeforeValidator:
    """For `Annotated[str, trimmed(n)]`: a text field trimmed and cut to `n` characters ("" when
    it was not sent), as a browser's `maxlength` would have done."""
    return BeforeValidator(_trimmed(limit, empty_is_none=False))


def trimmed_or_none(limit: int) -> BeforeValidator:
    """For `Annotated[str | None, trimmed_or_none(n)]`: `trimmed`, with None for an empty field."""
    return BeforeValidator(_trimmed(limit, empty_is_none=True))


def blank_is_none(value: Any) -> Any:
    """For a choice: a field sent empty (no option picked) is no choice at all."""
    return None if isinstance(value, str) and not value.strip() else value


@dataclass(frozen=True, slots=True)
class FormErrors:
    """The refused fields of a form, each with its sentence (untranslated)."""

    fields: Mapping[str, str]

    def text(self, t: Texts) -> str:
        return " ".join(dict.fromkeys(t(message) for message in self.fields.values()))


class WebForm(BaseModel):
    # Defaults are checked too: a rule such as "the box must be ticked" holds for a field that
    # was not sent at all.
    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)

    refusals: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def parse(cls, form: FormData) -> Self | FormErrors:
        values = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            return cls.errors_of(error)

    @classmethod
    def errors_of(cls, error: ValidationError) -> FormErrors:
        fields: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            if problem["type"] == REFUSED:
                message = str(problem["msg"])
            else:
                message = cls.refusals.get(name, UNREADABLE)
            fields.setdefault(name, message)
        return FormErrors(fields)
