"""The reading tool in the browser: the list, a case opened with the reading's autoloader, answers given
with the keys, the next case, the results and their CSV export (the demo project's reading)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, items

pytestmark = pytest.mark.e2e


def test_read_cases_with_the_keys_and_export_the_results(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    try:
        _read_and_export(context.new_page(), server)
    finally:
        context.close()


def _read_and_export(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("open-reading").click()
    row = page.locator('[data-testid="reading-row"][data-name="demo-quality"]')
    expect(row.get_by_test_id("reading-stage-training").get_by_test_id("reading-stage-progress")).to_have_text("0 / 1")
    serious = row.get_by_test_id("reading-stage-serious")
    expect(serious.get_by_test_id("reading-stage-progress")).to_have_text("0 / 3")
    row.get_by_test_id("reading-info").click()
    expect(row.get_by_test_id("reading-instructions")).to_contain_text("Enter: next case")

    serious.get_by_test_id("reading-start-serious").click()
    case = page.get_by_test_id("reading-case")
    label = case.get_by_test_id("reading-case-label")
    expect(label).to_contain_text("1 / 3: SUBJ00")
    first = label.inner_text()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)  # the reading's autoloader opened the case
    expect(page.locator('[data-testid="study-row"].selected')).to_have_count(1)  # and the table follows it

    page.locator("body").click(position={"x": 5, "y": 790})  # the focus on the page, not in a field
    page.keyboard.press("1")  # quality: the first option
    page.keyboard.press("3")  # confidence: the first point of the scale
    page.keyboard.press("3")  # ... and the next one
    quality, confidence = case.get_by_test_id("reading-item-quality"), case.get_by_test_id("reading-item-confidence")
    expect(quality).to_have_attribute("data-value", "good")
    expect(confidence).to_have_attribute("data-value", "2")
    expect(case.get_by_test_id("reading-progress")).to_have_text("1 / 3 done")
    expect(label).to_contain_text("✓")
    shot(page, "reading-case")

    page.keyboard.press("Enter")  # the next unrated case
    expect(label).to_contain_text("2 / 3")
    expect(quality).to_have_attribute("data-value", "")
    case.get_by_text("acceptable").click()  # a click answers too
    expect(case.get_by_test_id("reading-progress")).to_have_text("2 / 3 done")
    page.keyboard.press("ArrowUp")  # back to the first case: its answers are there
    expect(label).to_contain_text(first)
    expect(quality).to_have_attribute("data-value", "good")
    page.keyboard.press("1")  # a changed answer: a new result, the old one kept
    expect(quality).to_have_attribute("data-value", "acceptable")
    expect(case.get_by_test_id("reading-saved")).to_be_visible()

    page.get_by_test_id("reading-refresh").click()
    expect(serious.get_by_test_id("reading-stage-progress")).to_have_text("2 / 3")
    row.get_by_test_id("reading-results-button").click()
    results = page.get_by_test_id("reading-results")
    expect(results.get_by_test_id("reading-results-table").locator("tbody tr")).to_have_count(3)  # current answers
    shot(page, "reading-results")
    with page.expect_download() as saved:
        results.get_by_test_id("reading-export").click()
    lines = saved.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("reading,stage,arm,reader,pid,sid,image,repetition,item,value,current")
    assert sum(",quality," in line for line in lines) == 3  # good, then acceptable for case 1; case 2
    assert (
        any(",quality,good,0," in line for line in lines) and sum(",admin," in line for line in lines[1:]) == 5
    )  # every answer given
