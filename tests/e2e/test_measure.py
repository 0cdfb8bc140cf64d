"""Measurements in the viewer: distance, angle, rectangle and ellipse statistics in a 2D viewport, kept
per file (still there after another case was shown) until cleared."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e


def drag(page: Page, box: dict[str, float], a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(box["x"] + box["width"] * a[0], box["y"] + box["height"] * a[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (a[0] + b[0]) / 2, box["y"] + box["height"] * (a[1] + b[1]) / 2)
    page.mouse.move(box["x"] + box["width"] * b[0], box["y"] + box["height"] * b[1])
    page.mouse.up()


def nv_counts(page: Page) -> list[int]:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => { const d = window.noraViewer.viewports[0].nv.document;"
        " return [d.completedMeasurements.length, d.completedAngles.length]; }"
    )


def test_distance_angle_and_region_statistics_kept_per_file(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    file_row(page, "t1_mni/s001.nii.gz").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    canvas = page.get_by_test_id("canvas-0")
    box = canvas.bounding_box()
    assert box is not None

    page.get_by_test_id("measure-tool").select_option("distance")
    drag(page, box, (0.3, 0.5), (0.7, 0.5))
    page.get_by_test_id("measure-tool").select_option("rect")
    drag(page, box, (0.4, 0.4), (0.6, 0.6))
    page.get_by_test_id("measure-tool").select_option("ellipse")
    drag(page, box, (0.4, 0.4), (0.6, 0.6))
    page.get_by_test_id("measure-tool").select_option("angle")
    drag(page, box, (0.3, 0.3), (0.5, 0.5))
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    page.mouse.up()

    page.get_by_test_id("measure-list-toggle").click()
    listing = page.get_by_test_id("measure-list")
    entry = listing.locator('[data-testid="measure-file"][data-name="s001.nii.gz"]')
    expect(entry.get_by_test_id("measure-distance")).to_have_text(re.compile(r"distance \d+(\.\d)? mm"))
    rect = entry.locator('[data-testid="measure-region"][data-shape="rect"]')
    ellipse = entry.locator('[data-testid="measure-region"][data-shape="ellipse"]')
    expect(rect).to_contain_text("mean")
    expect(rect).to_contain_text("mm²")
    expect(ellipse).to_contain_text("std")
    expect(entry.get_by_test_id("measure-angle")).to_have_text(re.compile(r"angle \d+(\.\d)?°"))
    n_rect = int(re.search(r"\((\d+) voxels\)", rect.inner_text()).group(1))  # type: ignore[union-attr]
    n_ellipse = int(re.search(r"\((\d+) voxels\)", ellipse.inner_text()).group(1))  # type: ignore[union-attr]
    assert 0 < n_ellipse < n_rect, "the ellipse inside the same box has fewer voxels"
    shot(page, "measure-list")
    assert nv_counts(page) == [1, 1]

    # another file in the viewport: its own (no) measurements; back again: the first file's return
    page.get_by_test_id("measure-tool").select_option("off")
    open_study(page, "SUBJ002", "20230611")
    items(page, 0).first.get_by_test_id("vb-remove").click()
    file_row(page, "t1_mprage/s002.nii").dblclick()
    expect(items(page, 0).first).to_have_attribute("data-name", "s002.nii", timeout=LOAD_MS)
    page.wait_for_function(
        "() => window.noraViewer.viewports[0].nv.document.completedMeasurements.length === 0", timeout=LOAD_MS
    )
    open_study(page, "MNI001", "20240105")
    items(page, 0).first.get_by_test_id("vb-remove").click()
    file_row(page, "t1_mni/s001.nii.gz").dblclick()
    expect(items(page, 0).first).to_have_attribute("data-name", "s001.nii.gz", timeout=LOAD_MS)
    page.wait_for_function(
        "() => window.noraViewer.viewports[0].nv.document.completedMeasurements.length === 1", timeout=LOAD_MS
    )
    expect(entry.get_by_test_id("measure-distance")).to_have_count(1)

    # force: on a loaded machine the page may draw too few frames for Playwright's stability check
    entry.get_by_test_id("measure-clear").click(force=True)
    expect(entry).to_have_count(0)
    page.wait_for_function(
        "() => window.noraViewer.viewports[0].nv.document.completedMeasurements.length === 0", timeout=LOAD_MS
    )
