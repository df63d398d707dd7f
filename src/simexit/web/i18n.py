"""The language of a page: ?lang=, then the cookie, then the account, then Accept-Language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fastapi import Request

from simexit.i18n import (
    SUPPORTED_LANGUAGES,
    format_date,
    format_money,
    negotiate_language,
    normalize_language,
    translator,
)
from simexit.web.security import LANG_COOKIE

DOMAIN = "web"

# The name of each language in itself, for the switcher.
LANGUAGE_NAMES = {"en": "English", "nb": "Norsk bokmål", "ru": "Русский", "zh_Hans": "简体中文"}
HTML_LANG = {"en": "en", "nb": "nb", "ru": "ru", "zh_Hans": "zh-Hans"}


def N_(message: str) -> str:  # noqa: N802 - gettext's "mark for extraction" convention
    return message


def resolve_language(request: Request, account_language: str | None = None) -> str:
    for candidate in (explicit_language(request), account_language):
        if candidate:
            found = normalize_language(candidate)
            if found is not None:
                return found
    return negotiate_language(request.headers.get("accept-language"))


_NONE = "x-none"


def explicit_language(request: Request) -> str | None:
    """The language the person chose: the switcher's `?lang=`, then the cookie it set."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        found = normalize_language(candidate) if candidate else None
        if found is not None:
            return found
    return None


def browser_language(request: Request) -> str | None:
    """The browser's language where it names one we have (None, not a default, otherwise)."""
    header = request.headers.get("accept-language")
    # A marker first: it is what the negotiation falls back to when nothing in the header fits.
    found = negotiate_language(header, (_NONE, *SUPPORTED_LANGUAGES))
    return None if found == _NONE else found


@dataclass(frozen=True)
class Texts:
    """Everything a template needs to speak one language."""

    language: str

    @property
    def gettext(self) -> Callable[[str], str]:
        return translator(self.language, DOMAIN).gettext

    def __call__(self, message: str, **params: object) -> str:
        text = self.gettext(message)
        return self.tidy(text.format(**params)) if params else text

    def tidy(self, text: str) -> str:
        """A Russian date ends in "г.", so a sentence ending in `{date}.` would show "г.."."""
        return text.replace("г..", "г.") if self.language == "ru" else text

    def money(self, minor: int, currency: str) -> str:
        return format_money(minor, currency, self.language)

    def date(self, value: date | str | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, self.language)

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.language]


__all__ = ["LANGUAGE_NAMES", "N_", "SUPPORTED_LANGUAGES", "Texts", "resolve_language"]
