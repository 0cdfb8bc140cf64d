"""The ROI tool beyond drawing: ROIs in a shared link, the versions window (open a copy, restore), the pen
preview before the press, drawing in a mosaic tile, and a failed save on the next case."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_roi_tool import (
    INSIDE,
    INSIDE_OF,
    on_disk,
    open_image,
    roi_loader,
    row,
    stroke,
    voxels,
    wait_voxels,
)
from tests.e2e.test_viewer import LOAD_MS, api, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e


def test_rois_go_with_a_shared_link(page: Page, server: Server) -> None:
    box = open_image(page, server, "SUBJ002", "20240212", "t1_mprage/s002.nii")
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    stroke(page, box, (0.4, 0.5), (0.6, 0.5))
    painted = wait_voxels(page, "roi", "n > 0")
    drawn = page.evaluate(INSIDE_OF, "roi")
    row(page, "roi").get_by_test_id("roi-outline").check()
    row(page, "roi").get_by_test_id("roi-save").click()
    # the study's ROI "roi" may have versions from earlier tests (a delete keeps them): the next one
    expect(row(page, "roi")).to_have_attribute("data-dirty", "0")
    version = row(page, "roi").get_attribute("data-version")
    assert version is not None and int(version) >= 1
    page.get_by_test_id("roi-new").click()  # never saved: not part of the link, and the sharer is told
    expect(row(page, "roi_2")).to_have_count(1)

    page.get_by_test_id("share-button").click()
    expect(page.get_by_test_id("viewer-messages")).to_contain_text("ROIs never saved are not part of a link: roi_2")
    url = page.get_by_test_id("share-url").input_value()
    other = page.context.new_page()
    other.bring_to_front()  # a page in the background draws no frames
    other.goto(url)
    expect(items(other, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(other)
    shared = other.locator('[data-testid="roi-row"][data-name="roi"]')
    expect(shared).to_have_attribute("data-version", version)
    expect(shared).to_have_attribute("data-voxels", str(painted))
    expect(shared.get_by_test_id("roi-outline")).to_be_checked()
    expect(other.locator('[data-testid="roi-row"][data-name="roi_2"]')).to_have_count(0)
    assert other.evaluate(INSIDE_OF, "roi") == drawn
    shot(other, "roi-shared-link")
    other.close()
    assert api(server).delete("/api/projects/DEMO/patients/SUBJ002/studies/20240212/rois/roi").status_code == 204


def test_the_versions_window_opens_and_restores_a_version(page: Page, server: Server) -> None:
    box = open_image(page, server, "SUBJ002", "20240212", "t1_mprage/s002.nii")
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    expect(row(page, "roi").get_by_test_id("roi-versions")).to_be_disabled()  # not saved: no versions
    stroke(page, box, (0.4, 0.5), (0.6, 0.5))
    first = wait_voxels(page, "roi", "n > 0")
    first_voxels = page.evaluate(INSIDE_OF, "roi")
    row(page, "roi").get_by_test_id("roi-save").click()
    # the study's ROI "roi" may have versions from earlier tests (a delete keeps them): count from here
    expect(row(page, "roi")).to_have_attribute("data-dirty", "0")
    a = int(row(page, "roi").get_attribute("data-version") or 0)
    assert a >= 1
    stroke(page, box, (0.5, 0.3), (0.5, 0.7))
    wait_voxels(page, "roi", f"n > {first}")
    row(page, "roi").get_by_test_id("roi-save").click()
    expect(row(page, "roi")).to_have_attribute("data-version", str(a + 1))

    row(page, "roi").get_by_test_id("roi-versions").click()
    window = page.get_by_test_id("versions-window")
    versions = window.get_by_test_id("version-row")
    expect(versions).to_have_count(a + 1)
    expect(window.locator(f'[data-testid="version-row"][data-number="{a + 1}"]')).to_have_attribute("data-current", "1")
    expect(versions.last).to_contain_text("admin")
    shot(page, "roi-versions-window")

    # open: a copy of the first version saved here beside the current ROI, unsaved
    va = window.locator(f'[data-testid="version-row"][data-number="{a}"]')
    va.get_by_test_id("version-open").click()
    expect(window.get_by_test_id("version-note")).to_contain_text(f"opened as roi_v{a}")
    expect(row(page, f"roi_v{a}")).to_have_attribute("data-voxels", str(first))
    assert page.evaluate(INSIDE_OF, f"roi_v{a}") == first_voxels

    # restore: that version saved again as the newest; the open ROI follows (undoable), the server has it
    va.get_by_test_id("version-restore").click()
    expect(window.get_by_test_id("version-note")).to_contain_text(f"restored as version {a + 2}")
    expect(versions).to_have_count(a + 2)
    expect(row(page, "roi")).to_have_attribute("data-version", str(a + 2))
    expect(row(page, "roi")).to_have_attribute("data-voxels", str(first))
    expect(row(page, "roi")).to_have_attribute("data-dirty", "0")
    assert on_disk(server, "SUBJ002", "20240212", "roi") == first_voxels

    # someone saves meanwhile: a restore goes on top of the server's newest version, losing nothing
    client = api(server)
    study = "/api/projects/DEMO/patients/SUBJ002/studies/20240212/rois/roi"
    ref = client.get(study).json()["reference_id"]
    theirs = client.put(
        study,
        params={"reference": ref, "base": a + 2},
        content=(server.home / "projects/DEMO/SUBJ002/20240212/ROIS/roi.nii.gz").read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert theirs.status_code == 200, theirs.text
    window.locator(f'[data-testid="version-row"][data-number="{a + 1}"]').get_by_test_id("version-restore").click()
    expect(window.get_by_test_id("version-note")).to_contain_text(f"restored as version {a + 4}")
    assert client.delete(study).status_code == 204


PREVIEWED = "() => [...window.noraRois.preview.shown].sort((a, b) => a - b)"
PREVIEW = "[data-testid=roi-pen-preview]"


def test_the_pen_preview_shows_what_a_press_takes(page: Page, server: Server) -> None:
    box = open_image(page, server, "SUBJ002", "20240212", "t1_mprage/s002.nii")
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    preview = page.get_by_test_id("roi-pen-preview")
    page.get_by_test_id("roi-pen-size").fill("5")
    pens = (("higher", {"roi-pen-threshold": "9000"}), ("magicConnected", {"roi-pen-similarity": "0.15"}))
    for pen, settings in pens:
        page.get_by_test_id("roi-pen-kind").select_option(pen)
        for field, value in settings.items():
            page.get_by_test_id(field).fill(value)
        before = page.evaluate(INSIDE_OF, "roi")
        x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.45
        page.mouse.move(x - 3, y)
        page.mouse.move(x, y)  # hovering: the voxels a press would take are shown under the pointer
        page.wait_for_function(f"() => Number(document.querySelector('{PREVIEW}').dataset.count) > 0")
        expect(preview).to_be_visible()
        shown = page.evaluate(PREVIEWED)
        assert 0 < len(shown) < 121, "within the pen's disc (radius 5), not all of it"
        shot(page, f"roi-pen-preview-{pen}")
        page.mouse.down()
        page.mouse.up()
        after = wait_voxels(page, "roi", f"n > {len(before)}")
        assert sorted(set(page.evaluate(INSIDE_OF, "roi")) - set(before)) == [v for v in shown if v not in before]
        assert after == len(set(before) | set(shown))
    # the plain pen has its footprint circle, no preview
    page.get_by_test_id("roi-pen-kind").select_option("paint")
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    expect(preview).to_be_hidden()


TILES = (
    "(i) => { const nv = window.noraViewer.viewports[i].nv; const dpr = nv.uiData.dpr || 1;"
    " return nv.screenSlices.filter((t) => t.axCorSag >= 0 && t.axCorSag <= 2).map((t) => {"
    " const [l, tp, w, h] = t.leftTopWidthHeight; const mm = nv.screenXY2mm(l + w / 2, tp + h / 2);"
    " return { x: (l + w / 2) / dpr, y: (tp + h / 2) / dpr, w: w / dpr, mm: [mm[0], mm[1], mm[2]] }; }); }"
)


def test_drawing_in_a_mosaic_tile_paints_that_tile_s_slice(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("mosaic")
    open_study(page, "SUBJ002", "20240212")
    file_row(page, "t1_mprage/s002.nii").dblclick()
    expect(items(page, 1)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    expect(row(page, "roi")).to_have_count(1)
    affine = np.array(page.evaluate("() => window.noraRois.ws.current.roi.grid.affine")).reshape(4, 4)
    crosshair = page.evaluate("() => window.noraViewer.crosshairMM")
    k_crosshair = round((np.linalg.inv(affine) @ [*crosshair, 1])[2])
    tiles = page.evaluate(TILES, 1)
    assert len(tiles) > 2, tiles
    slice_of = [round((np.linalg.inv(affine) @ [*t["mm"], 1])[2]) for t in tiles]
    pick = next(i for i, k in enumerate(slice_of) if k != k_crosshair)  # not the crosshair's slice
    tile, k = tiles[pick], slice_of[pick]
    canvas = page.get_by_test_id("canvas-1").bounding_box()
    assert canvas is not None
    page.mouse.move(canvas["x"] + tile["x"] - tile["w"] * 0.2, canvas["y"] + tile["y"])
    page.mouse.down()
    page.mouse.move(canvas["x"] + tile["x"], canvas["y"] + tile["y"])
    page.mouse.move(canvas["x"] + tile["x"] + tile["w"] * 0.2, canvas["y"] + tile["y"])
    page.mouse.up()
    wait_voxels(page, "roi", "n > 0")
    dims = page.evaluate("() => window.noraRois.ws.current.roi.grid.dims")
    painted = page.evaluate(INSIDE)
    assert {i // (dims[0] * dims[1]) for i in painted} == {k}, "only the pressed tile's slice"
    assert page.evaluate("() => window.noraViewer.crosshairMM") == crosshair, "drawing does not move the crosshair"
    shot(page, "roi-mosaic-drawn")


def test_a_failed_save_on_the_next_case_asks_with_the_reason(page: Page, server: Server) -> None:
    panel = roi_loader(page, server, "clash")
    panel.get_by_role("button", name="×").first.click()
    open_study(page, "SUBJ002", "20230611")
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    expect(row(page, "clash")).to_have_attribute("data-voxels", "0")
    box = page.get_by_test_id("canvas-0").bounding_box()
    assert box is not None
    stroke(page, box, (0.4, 0.5), (0.6, 0.5))
    painted = wait_voxels(page, "clash", "n > 0")
    # someone else saves an ROI of that name meanwhile: the page's save (a new object) is a 409
    client = api(server)
    study = "/api/projects/DEMO/patients/SUBJ002/studies/20230611"
    ref = next(f["id"] for f in client.get(f"{study}/files").json() if f["path"] == "t1_mprage/s002.nii")
    image = client.get(f"/api/projects/DEMO/viewer/files/{ref}/content").content
    theirs = client.put(
        f"{study}/rois/clash",
        params={"reference": ref, "base": 0},
        content=image,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert theirs.status_code == 200, theirs.text

    page.keyboard.press("ArrowDown")
    ask = page.get_by_test_id("next-case-ask")
    expect(ask.get_by_test_id("next-case-problem")).to_contain_text("clash was not saved")
    here = page.locator('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20230611"]')
    expect(here).to_have_class(re.compile("selected"))  # still on the case, the ROI as drawn
    assert voxels(page, "clash") == painted
    ask.get_by_test_id("next-case-discard").click()
    expect(page.locator('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20240212"]')).to_have_class(
        re.compile("selected")
    )
    assert client.delete(f"{study}/rois/clash").status_code == 204


def test_drawing_in_the_3d_view_paints_a_sphere_at_the_surface(page: Page, server: Server) -> None:
    box = open_image(page, server, "SUBJ002", "20240212", "t1_mprage/s002.nii")
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()  # on the axial view's grid, then the viewport shows the 3D render
    expect(row(page, "roi")).to_have_count(1)
    page.get_by_test_id("slice-select-0").select_option("render")
    wait_idle(page)
    page.get_by_test_id("roi-pen-size").fill("2")
    before = page.evaluate("() => window.noraViewer.crosshairMM")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.up()
    painted = wait_voxels(page, "roi", "n > 0")
    dims = page.evaluate("() => window.noraRois.ws.current.roi.grid.dims")
    inside = page.evaluate(INSIDE)
    ks = {i // (dims[0] * dims[1]) for i in inside}
    assert len(ks) > 1 and painted <= 33, "a sphere of radius 2 (33 voxels at most), across slices"
    # the crosshair went to the painted surface point: the ROI's voxels lie around it
    after = page.evaluate("() => window.noraViewer.crosshairMM")
    assert after != before
    affine = np.array(page.evaluate("() => window.noraRois.ws.current.roi.grid.affine")).reshape(4, 4)
    centre = np.rint(np.linalg.inv(affine) @ [*after, 1])[:3]
    ijk = np.array([[i % dims[0], (i // dims[0]) % dims[1], i // (dims[0] * dims[1])] for i in inside])
    assert np.abs(ijk - centre).max() <= 2
    shot(page, "roi-3d-drawn")
