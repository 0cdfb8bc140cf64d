"""The study browser: the selected study's series with description and slice counts; "Open study" lays
its series out in the viewer (a viewport each, the mesh in 3D)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, items, open_study, wait_idle

pytestmark = pytest.mark.e2e


def test_series_list_and_open_study(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    page.get_by_test_id("view-series").click()
    browser = page.get_by_test_id("study-browser")
    series = browser.get_by_test_id("series-item")
    expect(series).to_have_count(4)
    t1 = browser.locator('[data-testid="series-item"][data-path="t1_mni/s001.nii.gz"]')
    expect(t1).to_contain_text("t1_mni")
    expect(t1.get_by_test_id("series-counts")).to_contain_text("slices")
    expect(browser.locator('[data-testid="series-item"][data-path="surf/pial_left.gii"]')).to_contain_text("mesh")

    browser.get_by_test_id("open-study").click()
    expect(page.get_by_test_id("viewer-grid")).to_have_attribute("data-layout", "2x2")
    for viewport, name in enumerate(["gm.nii.gz", "wm.nii.gz", "s001.nii.gz"]):  # in path order, as listed
        expect(items(page, viewport).first).to_have_attribute("data-name", name, timeout=LOAD_MS)
        expect(items(page, viewport).first).to_have_attribute("data-role", "background")
        expect(page.get_by_test_id(f"viewport-{viewport}")).to_have_attribute("data-slice", "axial")
    expect(page.get_by_test_id("viewport-3")).to_have_attribute("data-slice", "render")
    expect(items(page, 3).first).to_have_attribute("data-name", "pial_left.gii", timeout=LOAD_MS)
    wait_idle(page)
    shot(page, "study-browser-open-study")

    # another study: the series list follows the selection, Open study replaces what was shown
    page.locator('[data-testid="study-row"][data-pid="SUBJ004"][data-sid="20210101"]').click()
    expect(browser.get_by_test_id("series-item")).to_have_count(2)
    browser.get_by_test_id("open-study").click()
    expect(page.get_by_test_id("viewer-grid")).to_have_attribute("data-layout", "1x2")
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    expect(items(page, 1)).to_have_count(1, timeout=LOAD_MS)
    page.get_by_test_id("view-files").click()
    expect(page.get_by_test_id("file-row").first).to_be_visible()
