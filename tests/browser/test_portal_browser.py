"""End to end in headless Chromium: subscribers cancel in four languages; an agent approves."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from simexit.models import Line, Operator
from tests.browser.conftest import SCREENSHOTS
from tests.web.client import latest_code

pytestmark = pytest.mark.browser

# One demo operator that takes cancellations online, and a different prepaid line per language.
CASES = [("en", "ice-no", 0), ("nb", "telia-no", 0), ("ru", "att-us", 0), ("zh_Hans", "ice-no", 1)]
STATUS_WORD = {"en": "Status:", "nb": "Status:", "ru": "Статус:", "zh_Hans": "状态："}


def _line(runtime: Any, operator_code: str, index: int) -> Line:
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
    return lines[index]


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
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(f"{base}/guides/{operator_code}?lang={language}")
        _shot(page, f"guide-{language}-{width}")
        if width == 1280:
            context.close()
            break
        page.locator("main a.button").first.click()
        page.fill("#identifier", line.msisdn)
        page.locator("main form button[type=submit]").click()
        page.fill("#code", latest_code(runtime.db, line.msisdn))
        page.locator("main form button[type=submit]").click()
        page.locator(f"a[href='/my/lines/{line.id}']").click()
        _shot(page, f"line-{language}-{width}")
        page.check("#consent")
        page.locator("#cancel-form button[type=submit]").click()
        _shot(page, f"confirm-{language}-{width}")
        page.fill("#code", latest_code(runtime.db, line.msisdn))
        page.locator("main form.card button[type=submit]").click()
        page.wait_for_url("**/my/cases/*")
        assert STATUS_WORD[language] in page.content()
        _shot(page, f"status-{language}-{width}")
        context.close()


def test_agent_approves_from_the_queue(server: tuple[str, Any], browser: Any) -> None:
    base, _runtime = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/console/login?lang=en")
    page.fill("#email", "agent@ice-no.demo")
    page.fill("#password", "demo-password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/console")
    _shot(page, "console-queue-1280")
    page.locator("table.queue tbody a").first.click()
    _shot(page, "console-case-1280")
    page.locator("button[value=approve]").click()
    page.wait_for_url("**/console/cases/*")
    assert "Approved" in page.content() or "In progress" in page.content()
    context.close()
