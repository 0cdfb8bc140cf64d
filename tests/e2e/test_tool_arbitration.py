"""One tool owns the viewer's left click: choosing the ROI drawing, the marker pen or a measurement tool
ends the other's mode (each toolbar shows it off, the viewer toolbar names the owner), and a press goes
to the owner only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, rendered, shot
from tests.e2e.test_measure import drag, nv_counts
from tests.e2e.test_roi_tool import open_image, row, voxels, wait_voxels

pytestmark = pytest.mark.e2e


def owner(page: Page) -> str | None:
    badge = page.get_by_test_id("left-click-owner")
    return badge.get_attribute("data-owner") if badge.count() else None


def test_one_tool_owns_the_left_click(page: Page, server: Server) -> None:
    box = open_image(page, server, "SUBJ002", "20240212", "t1_mprage/s002.nii")
    expect(page.get_by_test_id("left-click-owner")).to_have_count(0)  # nothing chosen: the crosshair

    # New ROI: the ROI tool draws at once and owns the click
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    expect(page.get_by_test_id("roi-drawing")).to_be_checked()
    expect(page.get_by_test_id("left-click-owner")).to_have_attribute("data-owner", "roi")
    drag(page, box, (0.4, 0.5), (0.6, 0.5))
    painted = wait_voxels(page, "roi", "n > 0")

    # a measurement tool takes the click: drawing ends (the ROI window shows it), a drag measures only
    page.get_by_test_id("measure-tool").select_option("distance")
    expect(page.get_by_test_id("roi-drawing")).not_to_be_checked()
    expect(page.get_by_test_id("left-click-owner")).to_have_attribute("data-owner", "measure")
    drag(page, box, (0.3, 0.3), (0.7, 0.3))
    page.wait_for_function("() => window.noraViewer.viewports[0].nv.document.completedMeasurements.length === 1")
    assert voxels(page, "roi") == painted

    # the marker pen takes it: measuring ends (the chooser says off), a click adds a point only
    page.get_by_test_id("marker-tool-button").click()
    markers = page.get_by_test_id("marker-tool")
    markers.get_by_test_id("marker-new-pointset").click()
    markers.get_by_test_id("marker-pen").click()
    expect(markers.get_by_test_id("marker-pen")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("measure-tool")).to_have_value("off")
    expect(page.get_by_test_id("left-click-owner")).to_have_attribute("data-owner", "markers")
    shot(page, "left-click-owner")
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.7)
    expect(markers.get_by_test_id("marker-point")).to_have_count(1)
    assert voxels(page, "roi") == painted
    assert nv_counts(page) == [1, 0]

    # Space (the ROI tool's key) takes it back: the pen button shows it off, a stroke paints, adds no point
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.keyboard.press("Space")
    expect(page.get_by_test_id("roi-drawing")).to_be_checked()
    expect(markers.get_by_test_id("marker-pen")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("left-click-owner")).to_have_attribute("data-owner", "roi")
    drag(page, box, (0.4, 0.6), (0.6, 0.6))
    wait_voxels(page, "roi", f"n > {painted}")
    expect(markers.get_by_test_id("marker-point")).to_have_count(1)

    # × in the viewer toolbar ends the owner's mode: a press moves the crosshair and draws nothing
    page.get_by_test_id("left-click-stop").click()
    expect(page.get_by_test_id("left-click-owner")).to_have_count(0)
    expect(page.get_by_test_id("roi-drawing")).not_to_be_checked()
    before = voxels(page, "roi")
    drag(page, box, (0.3, 0.8), (0.5, 0.8))
    rendered(page)
    assert voxels(page, "roi") == before
    assert owner(page) is None
    expect(row(page, "roi")).to_have_count(1)
