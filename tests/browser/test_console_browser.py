"""The console at 1366 px with a seeded queue of 300 cases: search, filter, page 2, and a bulk
approve of 20 selected with the keyboard (the shortcuts' script runs under the CSP)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from simexit.models import Case
from tests.browser.conftest import SCREENSHOTS
from tests.web.queue_seed import seed_queue, statuses

pytestmark = pytest.mark.browser

OPERATOR = "telenor-no"  # no other browser test works this operator's queue


def _agent(base: str, browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/console/login?lang=en")
    page.fill("#email", f"agent@{OPERATOR}.demo")
    page.fill("#password", "demo-password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/console")
    return context, page, problems


def test_a_queue_of_300_search_filter_page_two_and_bulk_approve(
    server: tuple[str, Any], browser: Any
) -> None:
    base, runtime = server
    ids = seed_queue(runtime, 300, operator_code=OPERATOR, number_prefix="+4793")
    context, page, problems = _agent(base, browser)
    rows = page.locator("tr[data-row]")
    expect(rows).to_have_count(50)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-queue-300-1366.png"), full_page=False)

    page.fill("#f-q", "+47 93 000 123")
    page.locator("form.filters button[type=submit]").click()
    expect(rows).to_have_count(1)
    with runtime.db.read_session() as session:
        target = session.get(Case, ids[123])
    assert target is not None
    expect(rows.first).to_contain_text(target.reference)

    page.goto(f"{base}/console?lang=en")
    page.select_option("#f-channel", "chat")  # htmx swaps the table on change
    expect(rows).to_have_count(50)
    expect(page.locator("#queue-table")).not_to_contain_text("Phone")

    page.goto(f"{base}/console?lang=en&status=in_review")
    first_page = page.locator("a[data-open]").all_inner_texts()
    page.locator("a[rel=next]").click()
    page.wait_for_url(re.compile(r".*cursor=.*"))
    expect(rows).to_have_count(50)
    second_page = page.locator("a[data-open]").all_inner_texts()
    assert not set(first_page) & set(second_page)

    page.goto(f"{base}/console?lang=en&status=in_review")
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(20):  # j moves to the next row, x selects it
        page.keyboard.press("j")
        page.keyboard.press("x")
    expect(page.locator("input[name=case_id]:checked")).to_have_count(20)
    chosen = [
        page.locator("input[name=case_id]:checked").nth(i).get_attribute("value") for i in range(20)
    ]
    page.locator("#bulk-form button[value=approve]").click()
    page.wait_for_url("**/console/bulk")
    expect(page.locator("main p.notice[role=status]")).to_have_text("20 decided, 0 not decided.")
    page.screenshot(path=str(SCREENSHOTS / "console-bulk-1366.png"), full_page=True)
    # The decision is within the first screen of a case, not 1,439 px down.
    page.goto(f"{base}/console/next?lang=en")
    page.wait_for_url("**/console/cases/*")
    box = page.locator("#decide").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] < 800
    page.goto(f"{base}/console/outcomes?lang=en")
    expect(page.locator("figure.chart")).to_have_count(7)  # the seventh: offers taken instead
    expect(page.locator("#chart-offers")).to_be_visible()
    expect(page.locator("#chart-reason svg rect")).to_have_count(4)
    page.screenshot(path=str(SCREENSHOTS / "console-outcomes-1366.png"), full_page=True)
    context.close()

    decided = statuses(runtime, [i for i in ids if str(i) in chosen])
    assert len(decided) == 20
    assert set(decided.values()) <= {"approved", "executing", "completed"}
    assert not [p for p in problems if "Content Security Policy" in p]
