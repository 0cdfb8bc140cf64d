"""Keyboard help: `?` and the top bar's "?" button show the shortcuts of the tool in use."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login

pytestmark = pytest.mark.e2e


def test_question_mark_shows_the_shortcuts_of_the_tool_in_use(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    help_overlay = page.get_by_test_id("help-overlay")

    page.get_by_test_id("viewer-grid").hover()
    page.keyboard.press("?")
    expect(help_overlay).to_have_attribute("data-tool", "viewer")
    expect(help_overlay).to_contain_text("Middle drag")
    shot(page, "help-viewer")
    page.keyboard.press("Escape")
    expect(help_overlay).to_be_hidden()

    page.get_by_test_id("study-row").first.click()
    page.keyboard.press("?")
    expect(help_overlay).to_have_attribute("data-tool", "table")
    expect(help_overlay).to_contain_text("Page Up")
    page.keyboard.press("?")
    expect(help_overlay).to_be_hidden()

    page.get_by_test_id("file-row").first.hover()
    page.get_by_test_id("open-help").click()
    expect(help_overlay).to_have_attribute("data-tool", "files")
    help_overlay.get_by_test_id("help-tab-viewer").click()
    expect(help_overlay).to_have_attribute("data-tool", "viewer")
    help_overlay.get_by_test_id("help-close").click()
    expect(help_overlay).to_be_hidden()

    # typing a question mark into a filter is text, not help
    page.get_by_test_id("filter-files").fill("")
    page.get_by_test_id("filter-files").press("?")
    expect(help_overlay).to_be_hidden()
    expect(page.get_by_test_id("filter-files")).to_have_value("?")
