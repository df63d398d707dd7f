"""The small things of issue 17, item 10: error pages, offline docs, htmx and the CSP, favicon,
list punctuation, autofocus."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from simexit.runtime import Runtime
from simexit.server import build_server_app
from simexit.web.i18n import Texts
from simexit.web.texts import list_text
from tests.web.client import WebClient
from tests.web.conftest import sign_in
from tests.web.test_portal_messages import find_line

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def server(runtime: Runtime) -> Iterator[WebClient]:
    """The whole server (API and portal), as deployed."""
    client = WebClient(build_server_app(runtime, with_worker=False))
    yield client
    client.close()


class TestErrorPages:
    @pytest.mark.parametrize(
        ("language", "words"),
        [("ru", "Мы не нашли"), ("en", "We could not find that page."), ("zh_Hans", "")],
    )
    def test_a_malformed_portal_address_is_an_html_page_in_the_pages_language(
        self, server: WebClient, runtime: Runtime, language: str, words: str
    ) -> None:
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
        sign_in(server, runtime, line.msisdn)
        response = server.get(f"/my/cases/not-a-case?lang={language}", headers=BROWSER)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert f'lang="{Texts(language).html_lang}"' in response.text
        expected = Texts(language)("We could not find that page.")
        assert expected in response.text
        assert words in response.text
        assert "problem+json" not in response.headers["content-type"]

    def test_an_unknown_page_is_an_html_page(self, server: WebClient) -> None:
        response = server.get("/my/nothing-here?lang=nb", headers=BROWSER)
        assert response.status_code == 404
        assert 'lang="nb"' in response.text

    def test_the_api_still_answers_problem_json(self, server: WebClient) -> None:
        response = server.get("/v1/cases/not-a-case", headers=BROWSER)
        assert response.headers["content-type"].startswith("application/problem+json")
        unknown = server.get("/v1/nothing-here")
        assert unknown.headers["content-type"].startswith("application/problem+json")


class TestOfflineDocs:
    def test_docs_load_nothing_from_elsewhere(self, server: WebClient) -> None:
        page = server.get("/docs")
        assert page.status_code == 200
        assert "cdn." not in page.text
        assert "https://" not in page.headers["content-security-policy"]
        for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page.text):
            assert server.get(asset).status_code == 200, asset
        assert "/docs/assets/swagger-ui-bundle.js" in page.text


class TestPageBasics:
    def test_favicon(self, client: WebClient) -> None:
        response = client.get("/favicon.ico")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/x-icon"
        assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header

    def test_htmx_injects_no_inline_style(self, client: WebClient) -> None:
        page = client.get("/login").text
        assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in page

    def test_code_fields_get_the_focus(self, client: WebClient, runtime: Runtime) -> None:
        line = find_line(runtime, "ice-no", kind="physical_sim", plan="prepaid", status="active")
        client.submit("/login", "/login", {"identifier": line.msisdn})
        code_page = client.get("/login/code").text
        assert re.search(r'<input id="code"[^>]*autofocus', code_page)


class TestLists:
    @pytest.mark.parametrize(
        ("language", "joined"),
        [("zh_Hans", "甲、乙和丙"), ("en", "甲, 乙, and 丙"), ("ru", "甲, 乙 и 丙")],
    )
    def test_lists_join_the_way_the_language_does(self, language: str, joined: str) -> None:
        assert list_text(Texts(language), ["甲", "乙", "丙"]) == joined
