"""Issue 17 in headless Chromium at 360 px: one language from sign-in on, what is said before
sending, the way out of a blocked line and a pending port, the receipt, and no CSP refusals."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from simexit.models import Line, Operator
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_portal_browser import code_on_page

pytestmark = pytest.mark.browser


def _lines(runtime: Any, operator_code: str, **where: Any) -> list[Line]:
    with runtime.db.read_session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        statement = select(Line).where(Line.operator_id == operator.id, Line.status == "active")
        for column, value in where.items():
            statement = statement.where(getattr(Line, column) == value)
        return list(session.scalars(statement.order_by(Line.msisdn)))


def _page(browser: Any, locale: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale)
    page = context.new_page()
    refusals: list[str] = []
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return context, page, refusals


def _sign_in(page: Any, base: str, line: Line) -> None:
    page.goto(f"{base}/login")
    page.fill("#identifier", line.msisdn)
    page.locator("main form button[type=submit]").click()
    # The code field has the focus: no Tabs to reach it. `expect` waits for the code page to
    # load; reading activeElement right after the click could read the sign-in page going away.
    expect(page.locator("#code")).to_be_focused()
    page.fill("#code", code_on_page(page))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my")


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_chinese_browser_reads_chinese_to_the_receipt(
    server: tuple[str, Any], browser: Any
) -> None:
    base, runtime = server
    line = _lines(runtime, "mts-ru", kind="physical_sim", plan="prepaid", unpaid_bills_minor=0)[0]
    context, page, refusals = _page(browser, "zh-CN")
    _sign_in(page, base, line)
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.goto(f"{base}/my/lines/{line.id}")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    content = page.content()
    assert "发送之前" in content  # "Before you send": reversibility and the generic reminders
    assert "Gosuslugi" in content or "国家服务" in content
    _shot(page, "ux-line-zh-360")
    page.check("#consent")
    page.locator("#cancel-form button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    # MTS online takes Gosuslugi only: no code is sent, the page offers it (the demo's
    # simulated provider answers at once).
    assert page.locator("#code").count() == 0
    page.locator("[data-eid-offer='gosuslugi'] a").click()
    page.wait_for_url("**/my/cases/*")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    _shot(page, "ux-status-zh-360")
    with page.expect_download() as download:
        page.locator("a[href$='/receipt.pdf']").first.click()
    pdf = download.value.path()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    text = text.replace("\x00", "").replace(" ", "")
    reference = re.search(r"RU-\d{4}-\d{6}", text)
    assert reference is not None
    assert "回执" in text
    assert refusals == []
    context.close()


def test_a_blocked_line_and_a_pending_port_show_their_way_out(
    server: tuple[str, Any], browser: Any
) -> None:
    base, runtime = server
    unpaid = next(
        line for line in _lines(runtime, "mts-ru", plan="postpaid") if line.unpaid_bills_minor > 0
    )
    context, page, refusals = _page(browser, "ru-RU")
    _sign_in(page, base, unpaid)
    page.goto(f"{base}/my/lines/{unpaid.id}")
    assert page.locator("#way-out").is_visible()
    assert "8 800 250 0890" in page.locator("#way-out").inner_text()
    _shot(page, "ux-blocked-ru-360")
    context.close()
    port = _lines(runtime, "telenor-no", port_pending=True)[0]
    context, page, more = _page(browser, "nb-NO")
    _sign_in(page, base, port)
    page.goto(f"{base}/my/lines/{port.id}")
    assert page.locator("#port").is_visible()
    assert page.locator("#cancel-form").count() == 0
    _shot(page, "ux-port-nb-360")
    assert refusals + more == []
    context.close()
