"""The desktop in headless Chromium: log in, pick a project, filter the table, open a study's files, tag."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Server, shot

pytestmark = pytest.mark.e2e


def login(page: Page, server: Server, user: str = "admin", password: str = PASSWORD) -> None:
    page.goto(server.url)
    page.get_by_test_id("login-username").fill(user)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("project-select")).to_be_visible()


def choose(page: Page, project: str) -> None:
    page.get_by_test_id("project-select").select_option(project)
    expect(page.get_by_test_id("study-row").first).to_be_visible()


def test_wrong_password_shows_an_error(page: Page, server: Server) -> None:
    page.goto(server.url)
    page.get_by_test_id("login-username").fill("admin")
    page.get_by_test_id("login-password").fill("wrong-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")


def test_login_filter_and_open_study_files(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    rows = page.get_by_test_id("study-row")
    expect(rows).to_have_count(5)
    page.get_by_test_id("filter-files").fill("tracts/*.trk")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-pid", "SUBJ003")
    expect(page.get_by_test_id("study-count")).to_contain_text("1")
    rows.first.click()
    files = page.get_by_test_id("file-row")
    expect(files.filter(has_text="tracks300.trk")).to_have_count(1)
    expect(page.locator('[data-testid="file-row"][data-path="dwi_64dir/s004.nii"]')).to_be_visible()
    shot(page, "desktop-study-files")


def test_filter_bar_and_malformed_filter_message(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    rows = page.get_by_test_id("study-row")
    page.get_by_test_id("filter-pid").fill("subj002")
    expect(rows).to_have_count(2)
    # The browser may believe it is offline (a network change, no route to the internet) while our own
    # server answers: the filter is still sent and its message shown (a paused query showed nothing).
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    message = page.get_by_test_id("filter-error")
    page.get_by_test_id("filter-files").fill("t1* & &")
    expect(message).to_contain_text("empty condition between two '&'")
    expect(rows).to_have_count(2)  # the last good rows stay
    page.get_by_test_id("filter-files").fill("FOO:bar")
    expect(message).to_contain_text("unknown attribute FOO: use STAG:, PTAG:, FTAG:, JOB: or SDESC:")
    page.get_by_test_id("filter-files").fill("")
    expect(message).to_have_count(0)
    page.get_by_test_id("filter-study_date").fill(">2023")
    expect(message).to_contain_text("comparisons such as '>' are not part of the filter language")
    expect(message).to_contain_text("(at character 1)")
    expect(rows).to_have_count(2)
    shot(page, "desktop-filter-message")


def test_tag_a_study_by_context_menu(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    row = page.locator('[data-testid="study-row"][data-pid="SUBJ004"]')
    row.click(button="right")
    page.on("dialog", lambda d: d.accept("qc_ok"))
    page.get_by_test_id("ctx-add-study-tag").click()
    dialog_input = page.get_by_test_id("tag-input")
    if dialog_input.count():
        dialog_input.fill("qc_ok")
        page.get_by_test_id("tag-submit").click()
    expect(row).to_contain_text("qc_ok")
    page.get_by_test_id("filter-files").fill("STAG:qc_ok")
    expect(page.get_by_test_id("study-row")).to_have_count(1)
    shot(page, "desktop-tagged")


def test_ten_thousand_studies_scroll_and_filter(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "BIG")
    expect(page.get_by_test_id("study-count")).to_contain_text("10000")
    assert page.get_by_test_id("study-row").count() < 200, "rows must be virtualised"
    page.get_by_test_id("filter-sdesc").fill("mr")
    expect(page.get_by_test_id("study-count")).to_contain_text("3334")
    page.get_by_test_id("filter-pid").fill("p0999")
    expect(page.get_by_test_id("study-row")).to_have_count(4)
    shot(page, "desktop-big-project")


def test_read_only_user_has_no_tag_actions(page: Page, server: Server) -> None:
    login(page, server, "reader", "reader-password")
    choose(page, "DEMO")
    page.get_by_test_id("study-row").first.click(button="right")
    expect(page.get_by_test_id("ctx-add-study-tag")).to_be_disabled()
