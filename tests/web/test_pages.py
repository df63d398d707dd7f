"""Every page in all four languages; guides from packs; catalogs complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from simexit.runtime import Runtime
from tests.web.client import WebClient
from tests.web.conftest import sign_in, staff_sign_in, web_line

LOCALES = Path(__file__).parents[2] / "src" / "simexit" / "locales"
LANGS = {"en": "Sign in", "nb": "Logg inn", "ru": "Войти", "zh_Hans": "登录"}


def _catalog(language: str) -> dict[str, str]:
    with (LOCALES / language / "LC_MESSAGES" / "web.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


class TestCatalogs:
    @pytest.mark.parametrize("language", ["nb", "ru", "zh_Hans"])
    def test_every_english_message_is_translated(self, language: str) -> None:
        english, other = _catalog("en"), _catalog(language)
        assert english
        missing = [m for m in english if not other.get(m, "").strip()]
        assert missing == []

    def test_extracted_messages_are_in_the_catalog(self) -> None:
        from babel.messages.extract import extract

        root = Path(__file__).parents[2] / "src" / "simexit" / "web"
        english = _catalog("en")
        found = set()
        for path in [*root.rglob("*.py"), *root.rglob("*.html")]:
            method = "jinja2" if path.suffix == ".html" else "python"
            with path.open("rb") as handle:
                for _line, message, _comments, _context in extract(
                    method, handle, keywords={"_": None, "N_": None, "t": None}
                ):
                    found.add(message)
        assert sorted(m for m in found if isinstance(m, str) and m not in english) == []


@pytest.mark.parametrize(("language", "sign_in_word"), LANGS.items())
def test_every_page_in_every_language(
    client: WebClient, runtime: Runtime, language: str, sign_in_word: str
) -> None:
    public = [
        "/guides",
        "/guides/telenor-no",
        "/guides/att-us",
        "/guides/mts-ru",
        "/help",
        "/login",
        "/console/login",
    ]
    for url in public:
        page = client.get(f"{url}?lang={language}")
        assert page.status_code == 200, url
        assert sign_in_word in page.text, (url, language)
    line = web_line(runtime)
    sign_in(client, runtime, line.msisdn)
    for url in ["/my", f"/my/lines/{line.id}"]:
        assert client.get(f"{url}?lang={language}").status_code == 200
    staff_sign_in(client, "agent@ice-no.demo")
    for url in ["/console", "/console/sim-returns", "/console/jobs", "/console/messages"]:
        assert client.get(f"{url}?lang={language}").status_code == 200, url


def test_guide_shows_rules_with_their_sources(client: WebClient) -> None:
    page = client.get("/guides/att-us?lang=en").text
    assert "Early exit fee up to" in page
    assert "does not cancel the subscription" in page
    assert "att_etf" not in page
    assert "https://" in page


def test_accept_language_is_honoured(client: WebClient) -> None:
    page = client.get("/guides", headers={"accept-language": "ru-RU,ru;q=0.9"})
    assert "Войти" in page.text


def test_unknown_operator_is_a_404(client: WebClient) -> None:
    assert client.get("/guides/nope").status_code == 404
