"""End to end in headless Chromium: subscribers cancel in four languages; an agent approves."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from simexit.models import Case, Line, Operator
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

# One demo operator that takes cancellations online, and a different prepaid line per language.
CASES = [("en", "ice-no", 0), ("nb", "telia-no", 0), ("ru", "att-us", 0), ("zh_Hans", "ice-no", 1)]
BROWSER_LOCALE = {"en": "en-GB", "nb": "nb-NO", "ru": "ru-RU", "zh_Hans": "zh-CN"}
STATUS_WORD = {"en": "Status:", "nb": "Status:", "ru": "Статус:", "zh_Hans": "状态："}


_LINES: dict[str, list[Line]] = {}


def code_on_page(page: Any) -> str:
    """The code as a newcomer gets it in the demo: with no SMTP or Kannel the message stays in
    the local sink (which shows a placeholder), so the page itself shows the code."""
    found = re.search(r"\b(\d{6})\b", page.locator("[data-sink-code]").inner_text())
    assert found is not None
    return found.group(1)


def _line(runtime: Any, operator_code: str, index: int) -> Line:
    """The eligible lines as seeded, listed once, so that a test cancelling one shifts nothing."""
    if operator_code in _LINES:
        return _LINES[operator_code][index]
    with runtime.db.read_session() as session:
        operator = session.scalars(select(Operator).where(Operator.code == operator_code)).one()
        lines = list(
            session.scalars(
                select(Line)
                .where(
                    Line.operator_id == operator.id,
                    Line.status == "active",
                    Line.unpaid_bills_minor == 0,
                    Line.port_pending.is_(False),
                )
                .order_by(Line.msisdn)
            )
        )
    _LINES[operator_code] = lines
    chosen: Line = lines[index]
    return chosen


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("language", "operator_code", "index"), CASES)
def test_subscriber_cancels_from_the_guide(
    server: tuple[str, Any], browser: Any, language: str, operator_code: str, index: int
) -> None:
    base, runtime = server
    line = _line(runtime, operator_code, index)
    for width in (360, 1280):
        if width == 1280 and language != "en":
            break
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale=BROWSER_LOCALE[language]
        )
        page = context.new_page()
        page.goto(f"{base}/guides/{operator_code}?lang={language}")
        _shot(page, f"guide-{language}-{width}")
        if width == 1280:
            context.close()
            break
        page.locator("main a.button").first.click()
        page.fill("#identifier", line.msisdn)
        page.locator("main form button[type=submit]").click()
        page.fill("#code", code_on_page(page))
        page.locator("main form button[type=submit]").click()
        page.locator(f"a[href='/my/lines/{line.id}']").click()
        _shot(page, f"line-{language}-{width}")
        page.check("#consent")
        page.locator("#cancel-form button[type=submit]").click()
        _shot(page, f"confirm-{language}-{width}")
        page.fill("#code", code_on_page(page))
        page.locator("main form.card button[type=submit]").click()
        page.wait_for_url("**/my/cases/*")
        assert STATUS_WORD[language] in page.content()
        _shot(page, f"status-{language}-{width}")
        context.close()


def _subscriber_submits(
    base: str, runtime: Any, browser: Any, line: Line, language: str = "en"
) -> str:
    """Drive the portal in a fresh browser: sign in, cancel, confirm. Returns the case reference."""
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"{base}/login?lang={language}")
    page.fill("#identifier", line.msisdn)
    page.locator("main form button[type=submit]").click()
    page.fill("#code", code_on_page(page))
    page.locator("main form button[type=submit]").click()
    page.goto(f"{base}/my/lines/{line.id}")
    page.check("#consent")
    page.locator("#cancel-form button[type=submit]").click()
    page.fill("#code", code_on_page(page))
    page.locator("main form.card button[type=submit]").click()
    page.wait_for_url("**/my/cases/*")
    context.close()
    with runtime.db.read_session() as session:
        case = session.scalars(
            select(Case).where(Case.line_id == line.id).order_by(Case.created_at.desc())
        ).first()
    assert case is not None
    reference: str = case.reference
    return reference


def _agent_page(base: str, browser: Any, language: str = "en") -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/console/login?lang={language}")
    page.fill("#email", "agent@ice-no.demo")
    page.fill("#password", "demo-password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/console")
    return context, page


def test_agent_approves_from_the_queue(server: tuple[str, Any], browser: Any) -> None:
    base, runtime = server
    reference = _subscriber_submits(base, runtime, browser, _line(runtime, "ice-no", 3))
    context, page = _agent_page(base, browser)
    _shot(page, "console-queue-1280")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url("**/console/cases/*")
    assert "Why a person must look at this case" in page.content()
    _shot(page, "console-case-1280")
    page.locator("button[value=approve]").click()  # htmx posts; HX-Redirect moves on
    # The next case in the queue (or the queue) opens and says what was decided.
    expect(page.locator("main p.notice[role=status]")).to_contain_text(reference)
    with runtime.db.read_session() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
    assert case.status in {"approved", "executing", "completed"}
    context.close()


def test_agent_rejects_and_the_subscriber_asks_again(server: tuple[str, Any], browser: Any) -> None:
    base, runtime = server
    line = _line(runtime, "ice-no", 4)
    reference = _subscriber_submits(base, runtime, browser, line, "ru")
    context, page = _agent_page(base, browser)
    page.get_by_role("link", name=reference).click()
    page.select_option("#reason", "unpaid_bills")
    page.fill("#reject-note", "Please pay the last bill first.")
    page.locator("button[value=reject]").click()
    expect(page.locator("main p.notice[role=status]")).to_contain_text(f"{reference}: Not approved")
    page.wait_for_load_state()
    _shot(page, "console-rejected-1280")
    context.close()
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{base}/login?lang=ru")
    page.fill("#identifier", line.msisdn)
    page.locator("main form button[type=submit]").click()
    page.fill("#code", code_on_page(page))
    page.locator("main form button[type=submit]").click()
    with runtime.db.read_session() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
    page.goto(f"{base}/my/cases/{case.id}")
    assert "Неоплаченные счета" in page.content()
    _shot(page, "status-rejected-ru-360")
    page.locator("#resubmit-form button[type=submit]").click()
    page.wait_for_url("**/confirm")
    context.close()


def test_agent_records_a_returned_sim(server: tuple[str, Any], browser: Any) -> None:
    base, runtime = server
    line = _line(runtime, "ice-no", 2)
    with runtime.db.session() as session:
        row = session.get(Line, line.id)
        row.sim_return_required, row.sim_returned_at = True, None
    context, page = _agent_page(base, browser, "nb")
    page.goto(f"{base}/console/sim-returns")
    _shot(page, "console-sim-returns-nb-1280")
    page.locator(f"form[action='/console/sim-returns/{line.id}'] button").click()
    page.wait_for_url("**/console/sim-returns*")
    assert f"/console/sim-returns/{line.id}" not in page.content()
    context.close()
