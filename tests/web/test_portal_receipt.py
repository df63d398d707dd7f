"""The receipt: a page and a PDF with the reference, the consent and the frozen consequences, in
the subscriber's language with a font that has CJK and Cyrillic glyphs (issue 17, item 5)."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader

from simexit.runtime import Runtime
from simexit.web.receipt_pdf import find_font
from tests.web.client import WebClient
from tests.web.test_portal_messages import case_row, find_line, request_and_confirm


@pytest.fixture
def cjk_font() -> None:
    if find_font() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("fonts-noto-cjk must be installed in CI (.ci/run installs it)")
        pytest.skip("fonts-noto-cjk is not installed; the PDF receipt is not drawn")


def _text(pdf: bytes) -> str:
    # pypdf reads fpdf2's two-byte glyph codes (an embedded Identity CMap as /Encoding) as one
    # NUL and one character each; its ToUnicode map is right, so the characters are. Compare
    # without NULs, spaces and line breaks.
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    return _squeeze(text.replace("\x00", "").replace("\n", ""))


def _squeeze(text: str) -> str:
    return text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")


@pytest.mark.parametrize(("language", "word"), [("ru", "Квитанция"), ("zh_Hans", "回执")])
def test_the_receipt_downloads_with_reference_and_consent(
    client: WebClient, runtime: Runtime, cjk_font: None, language: str, word: str
) -> None:
    line = find_line(runtime, "mts-ru", kind="physical_sim", plan="prepaid", status="active")
    client.get(f"/login?lang={language}")  # the person chose the language before signing in
    case_id = request_and_confirm(client, runtime, line, {"type": "terminate", "consent": "yes"})
    case = case_row(runtime, case_id)
    status_page = client.get(f"/my/cases/{case_id}").text
    assert f"/my/cases/{case_id}/receipt.pdf" in status_page
    page = client.get(f"/my/cases/{case_id}/receipt")
    assert page.status_code == 200
    assert case.reference in page.text
    response = client.get(f"/my/cases/{case_id}/receipt.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    text = _text(response.content)
    assert case.reference in text
    assert case.consent_text
    assert _squeeze(case.consent_text) in _squeeze(text)
    assert word in text
    assert line.msisdn in text


def test_no_receipt_for_a_request_never_sent(client: WebClient, runtime: Runtime) -> None:
    line = find_line(runtime, "ice-no", kind="data_only", status="active")
    from tests.web.conftest import sign_in

    sign_in(client, runtime, line.msisdn)
    response = client.submit(
        f"/my/lines/{line.id}",
        f"/my/lines/{line.id}/request",
        {"type": "terminate", "consent": "yes", "settlement": "refund"},
    )
    case_id = response.headers["location"].split("/")[3]
    assert client.get(f"/my/cases/{case_id}/receipt").status_code == 404
    assert client.get(f"/my/cases/{case_id}/receipt.pdf").status_code == 404
