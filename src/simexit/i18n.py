"""Languages, translations and locale formatting (Babel).

Supported locales: en (the source language of every message), nb, ru and zh_Hans. Catalogs are
the gettext `.po` files under `simexit/locales/<locale>/LC_MESSAGES/<domain>.po`, read with
Babel's `pofile` reader on first use and cached for the life of the process: no compile step and
no `.mo` files to keep in sync. A message missing from a catalog falls back to the English msgid.
"""

from __future__ import annotations

import gettext
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, get_currency_precision

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "nb", "ru", "zh_Hans")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"

# Tags people and browsers send, mapped to the locale we serve them.
_ALIASES = {
    "zh": "zh_Hans",
    "zh_cn": "zh_Hans",
    "zh_sg": "zh_Hans",
    "zh_hans": "zh_Hans",
    "zh_hans_cn": "zh_Hans",
    "no": "nb",
    "nn": "nb",
    "nb_no": "nb",
    "no_no": "nb",
}


def normalize_language(tag: str, supported: tuple[str, ...] = SUPPORTED_LANGUAGES) -> str | None:
    """The supported locale for a language tag ("zh-CN" -> "zh_Hans", "en-GB" -> "en"), or None."""
    key = tag.strip().replace("-", "_").lower()
    if not key:
        return None
    by_lower = {language.lower(): language for language in supported}
    for candidate in (
        key,
        _ALIASES.get(key, ""),
        key.split("_")[0],
        _ALIASES.get(key.split("_")[0], ""),
    ):
        if candidate and candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    return None


def negotiate_language(
    accept_language_header: str | None, supported: tuple[str, ...] = SUPPORTED_LANGUAGES
) -> str:
    """The best supported locale for an Accept-Language header; the first supported one if none fits."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language_header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag))
    for _quality, _position, tag in sorted(weighted):
        language = normalize_language(tag, supported)
        if language is not None:
            return language
    return supported[0]


def _babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(normalize_language(language) or DEFAULT_LANGUAGE)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANGUAGE)


_GLUED_CODE = re.compile(r"^(-?)([A-Z]{3})(\d)")


def format_money(minor: int, currency: str, locale: str) -> str:
    """`12550, "NOK", "nb"` -> "kr 125,50"; the minor unit follows the currency (JPY has none)."""
    digits = get_currency_precision(currency)
    amount = Decimal(minor).scaleb(-digits)
    text = format_currency(amount, currency, locale=_babel_locale(locale))
    # English patterns glue an ISO code to the number ("NOK133.00"); people read "NOK 133.00".
    return _GLUED_CODE.sub("\\1\\2\u00a0\\3", text)


def format_date(d: date, locale: str) -> str:
    """A date as people of `locale` write it in prose ("20 November 2026", "20. november 2026")."""
    return babel_format_date(d, format="long", locale=_babel_locale(locale))


class CatalogTranslations(gettext.NullTranslations):
    """Translations from a parsed `.po` catalog; untranslated or fuzzy messages fall back."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message


@lru_cache(maxsize=64)
def translator(language: str, domain: str) -> gettext.NullTranslations:
    locale = normalize_language(language) or DEFAULT_LANGUAGE
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=str(_babel_locale(locale)), domain=domain)
    messages = {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }
    return CatalogTranslations(messages)
