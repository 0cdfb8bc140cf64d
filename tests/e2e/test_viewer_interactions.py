"""Viewer interactions that must stick (issue 11, items 1-9), in headless Chromium against the demo project.

Middle-drag windowing through the one look change (viewbar, other viewports, shared links follow, live);
autoloader intents as the starting look; a crosshair of one or two device pixels at every zoom; layouts
showing what is loaded (meshes into the 3D viewport); the crosshair centring on a new background; one
message area; Share offering to overwrite the opened link; an unknown project in the address; window
presets that fit the modality.
"""

from __future__ import annotations

import gzip
import math
import re
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.pixels import line_widths, screenshot_rgb
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, drag_file_to, engine_debug, file_row, items, open_study, wait_idle
from tests.e2e.test_viewer_mouse import canvas_point

pytestmark = pytest.mark.e2e

ANATOMY = ("SUBJ002", "20230611", "t1_mprage/s002.nii")
BOLD = ("SUBJ002", "20230611", "fmri_bold/s005.nii")  # 64 x 80 x 16 mm around x 0, y 0, z 8


def limits(page: Page, viewport: int) -> tuple[float, float]:
    vol = engine_debug(page)[viewport]["volumes"][0]
    return vol["cal_min"], vol["cal_max"]


def viewbar_limits(page: Page, viewport: int) -> tuple[str, str]:
    row = items(page, viewport).first
    return row.get_by_test_id("vb-min").input_value(), row.get_by_test_id("vb-max").input_value()


def autoload_with(page: Page, server: Server, name: str, definition: dict[str, Any]) -> None:
    """Save `definition` as the shared preset `name` on DEMO, log in and switch autoloading on with it."""
    r = api(server).put(f"/api/projects/DEMO/viewer/autoloaders/{name}?shared=true", json=definition)
    assert r.status_code == 200, r.text
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("autoloader-button").click()
    page.get_by_test_id("preset-select").select_option(name)
    page.get_by_test_id("autoload-enabled").check()


def test_middle_drag_windows_through_the_viewbar_in_every_viewport_and_in_links(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("1x2")
    open_study(page, *ANATOMY[:2])
    for viewport in (0, 1):
        file_row(page, ANATOMY[2]).dblclick()  # the next free viewport
        expect(items(page, viewport)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    before = viewbar_limits(page, 0)
    x, y = canvas_point(page, 0, 0.5, 0.5)
    page.mouse.move(x, y)
    page.mouse.down(button="middle")
    page.mouse.move(x + 30, y - 20, steps=3)
    # live, while the button is still down: the viewbar and the other viewport follow
    expect(items(page, 0).first.get_by_test_id("vb-max")).not_to_have_value(before[1])
    page.mouse.move(x + 60, y - 40, steps=3)
    page.mouse.up(button="middle")
    dragged = viewbar_limits(page, 0)
    assert dragged != before
    expect(items(page, 1).first.get_by_test_id("vb-min")).to_have_value(dragged[0])
    expect(items(page, 1).first.get_by_test_id("vb-max")).to_have_value(dragged[1])
    assert limits(page, 0) == pytest.approx(limits(page, 1))
    assert limits(page, 0) == pytest.approx(tuple(float(v) for v in dragged), abs=1e-3)
    low, high = limits(page, 0)
    assert high - low > float(before[1]) - float(before[0]), "dragging right widens the window"
    # the next viewbar change keeps the window; a shared link carries it
    items(page, 0).first.get_by_test_id("vb-colormap").select_option("hot")
    expect(items(page, 1).first.get_by_test_id("vb-colormap")).to_have_value("hot")
    assert limits(page, 1) == pytest.approx((low, high))
    shot(page, "viewer-middle-drag-window")
    page.get_by_test_id("share-button").click()
    url = page.get_by_test_id("share-url").input_value()
    other = page.context.new_page()
    other.goto(url)
    expect(items(other, 1)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(other)
    for viewport in (0, 1):
        assert limits(other, viewport) == pytest.approx((low, high), abs=1e-3)
    other.close()


def test_autoloader_intents_are_the_starting_look_and_the_viewbar_changes_it(page: Page, server: Server) -> None:
    definition = {
        "level": "study",
        "layout": "1x2",
        "loaders": [
            {
                "pattern": "t1*/*.nii*",
                "viewports": [0, 1],
                "intent": {"role": "background", "colormap": "hot", "cal_min": 10, "cal_max": 90, "opacity": 0.9},
            }
        ],
    }
    autoload_with(page, server, "startlook", definition)
    open_study(page, *ANATOMY[:2])
    for viewport in (0, 1):
        expect(items(page, viewport)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    assert [(v["volumes"][0]["colormap"], v["volumes"][0]["cal_min"]) for v in engine_debug(page)] == [("hot", 10)] * 2
    # without Shift the viewbar changes the image everywhere; no viewport keeps the loader's look as its own
    row = items(page, 0).first
    expect(row).not_to_have_class(re.compile(r"\bown\b"))
    row.get_by_test_id("vb-colormap").select_option("winter")
    row.get_by_test_id("vb-min").fill("20")
    row.get_by_test_id("vb-opacity").fill("0.5")
    expect(items(page, 1).first.get_by_test_id("vb-colormap")).to_have_value("winter")
    for vp in engine_debug(page):
        vol = vp["volumes"][0]
        assert (vol["colormap"], vol["cal_min"], vol["opacity"]) == ("winter", 20, pytest.approx(0.5))
    shot(page, "viewer-autoloader-start-look")


def _crosshair_widths(page: Page, viewport: int) -> tuple[list[float], list[float]]:
    """Widths (device pixels) of the crosshair's vertical and horizontal line in viewport `viewport`.

    The crosshair is (51, 230, 76): blended with a grey image pixel (v, v, v) at coverage c, green minus
    the larger of red and blue is 154 c whatever v is, so that difference gives each pixel's coverage.
    """
    rgb = screenshot_rgb(page, page.get_by_test_id(f"canvas-{viewport}")).astype(float)
    coverage = np.clip((rgb[:, :, 1] - np.maximum(rgb[:, :, 0], rgb[:, :, 2])) / 154.0, 0.0, 1.0)
    return line_widths(coverage), line_widths(coverage.T)


def _assert_thin(page: Page, viewport: int, what: str) -> None:
    vertical, horizontal = _crosshair_widths(page, viewport)
    for name, widths in (("vertical", vertical), ("horizontal", horizontal)):
        assert len(widths) > 20, f"{what}: no {name} crosshair line visible"
        width = float(np.median(widths))
        assert 0.9 <= width <= 2.1, f"{what}: the {name} line is {width:.2f} device pixels wide"


def test_the_crosshair_is_one_or_two_device_pixels_at_every_zoom(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("mpr")
    open_study(page, *ANATOMY[:2])
    for viewport in range(3):
        file_row(page, ANATOMY[2]).dblclick()
        expect(items(page, viewport)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.mouse.click(*canvas_point(page, 0, 0.45, 0.55))
    for viewport in range(3):
        _assert_thin(page, viewport, f"MPR viewport {viewport + 1}")
    shot(page, "viewer-crosshair-mpr")
    # a small volume (4 mm voxels) zoomed in: still a thin line, not a bar
    page.get_by_test_id("layout-select").select_option("single")
    page.get_by_title("close all images").click()
    file_row(page, BOLD[2]).dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.mouse.move(*canvas_point(page, 0, 0.5, 0.5))
    for _ in range(10):
        page.keyboard.down("Control")
        page.mouse.wheel(0, -100)
        page.keyboard.up("Control")
    assert engine_debug(page)[0]["zoom"] > 3
    _assert_thin(page, 0, "zoomed small volume")
    shot(page, "viewer-crosshair-zoomed")


def test_layouts_show_what_is_loaded_and_meshes_go_to_the_3d_viewport(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, *ANATOMY[:2])
    file_row(page, ANATOMY[2]).dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    drag_file_to(page, BOLD[2], 0, "overlay")
    expect(items(page, 0)).to_have_count(2, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("layout-select").select_option("2x2")
    slices = ["axial", "coronal", "sagittal", "render"]
    for viewport, slicing in enumerate(slices):
        expect(page.get_by_test_id(f"viewport-{viewport}")).to_have_attribute("data-slice", slicing)
        expect(items(page, viewport)).to_have_count(2, timeout=LOAD_MS)
        expect(items(page, viewport).first).to_have_attribute("data-name", "s002.nii")
        expect(items(page, viewport).nth(1)).to_have_attribute("data-role", "overlay")
    wait_idle(page)
    # a double-clicked tract goes to the 3D viewport (4), the others keep their planes
    open_study(page, "SUBJ003", "20220930")
    file_row(page, "tracts/standard.tck").dblclick()
    expect(items(page, 3)).to_have_count(3, timeout=LOAD_MS)
    wait_idle(page)
    assert [vp["slice"] for vp in engine_debug(page)] == slices
    assert [vp["meshes"] for vp in engine_debug(page)] == [0, 0, 0, 1]
    shot(page, "viewer-layout-2x2-filled")
    # mosaic and MPR from a single image
    page.get_by_title("close all images").click()
    page.get_by_test_id("layout-select").select_option("single")
    open_study(page, *ANATOMY[:2])
    file_row(page, ANATOMY[2]).dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("layout-select").select_option("mosaic")
    expect(items(page, 1)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    assert engine_debug(page)[1]["mosaic"].startswith("A ")
    shot(page, "viewer-layout-mosaic-filled")
    page.get_by_test_id("layout-select").select_option("mpr")
    expect(items(page, 2)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    assert [vp["slice"] for vp in engine_debug(page)] == ["axial", "coronal", "sagittal"]
    shot(page, "viewer-layout-mpr-filled")


def _value(page: Page) -> str:
    return page.get_by_test_id("voxel-value").first.get_attribute("data-value") or ""


def test_a_new_background_centres_the_crosshair_after_clear_and_elsewhere_in_space(page: Page, server: Server) -> None:
    bold = nib.load(server.home / "projects" / "DEMO" / BOLD[0] / BOLD[1] / BOLD[2])
    inverse = np.linalg.inv(bold.affine)

    def in_bold(mm: list[float]) -> bool:
        vox = (inverse @ np.array([*mm, 1.0]))[:3]
        return bool(np.all(vox > -0.5) and np.all(vox < np.array(bold.shape[:3]) - 0.5))

    login(page, server)
    choose(page, "DEMO")
    open_study(page, *BOLD[:2])
    file_row(page, "fmri_4d/s006.nii.gz").dblclick()  # a large field of view, mostly outside the BOLD run
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.mouse.click(*canvas_point(page, 0, 0.5, 0.3))
    far = page.evaluate("() => window.noraViewer.crosshairMM")
    assert not in_bold(far), far
    # a new image elsewhere in space replaces the background: the crosshair moves into it
    file_row(page, BOLD[2]).dblclick()
    expect(items(page, 0).first).to_have_attribute("data-name", "s005.nii", timeout=LOAD_MS)
    wait_idle(page)
    expect(page.get_by_test_id("voxel-value").first).not_to_have_attribute("data-value", "")
    assert in_bold(page.evaluate("() => window.noraViewer.crosshairMM"))
    # Clear, then a new image: centred in it and its value shown at once
    page.mouse.click(*canvas_point(page, 0, 0.6, 0.6))
    page.get_by_title("close all images").click()
    expect(page.get_by_test_id("crosshair-mm")).to_have_text("no image")
    file_row(page, ANATOMY[2]).dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    expect(page.get_by_test_id("voxel-value").first).not_to_have_attribute("data-value", "")
    assert engine_debug(page)[0]["crosshair"] == pytest.approx([0.5, 0.5, 0.5], abs=0.01)
    shot(page, "viewer-crosshair-centred")


def test_one_message_area_newest_first_cleared_per_case_and_information_fading(page: Page, server: Server) -> None:
    definition = {
        "level": "study",
        "layout": "single",
        "loaders": [{"pattern": "t1*/*.nii*", "viewports": [0]}, {"pattern": "nosuch*/x.nii", "viewports": [0]}],
    }
    autoload_with(page, server, "msgs", definition)
    page.get_by_test_id("autoloader-button").click()  # close the panel
    open_study(page, "SUBJ002", "20230611")
    messages = page.get_by_test_id("viewer-message")
    missing = messages.filter(has_text="No file matches loader 2")
    expect(missing).to_have_count(1, timeout=LOAD_MS)
    expect(missing).to_contain_text("SUBJ002 / 20230611")
    wait_idle(page)
    # the next case: the previous case's error goes, the new one's comes
    page.get_by_test_id("viewer-info").click()
    page.keyboard.press("ArrowDown")
    expect(missing.filter(has_text="SUBJ002 / 20240212")).to_have_count(1, timeout=LOAD_MS)
    expect(missing).to_have_count(1)
    expect(missing).to_have_attribute("data-level", "error")
    wait_idle(page)
    # the area sits between the toolbar and the viewports: it never covers the image
    area = page.get_by_test_id("viewer-messages").bounding_box()
    grid = page.get_by_test_id("viewer-grid").bounding_box()
    assert area is not None and grid is not None
    assert area["y"] + area["height"] <= grid["y"] + 1
    # information comes first (newest first) and fades away by itself; the error stays
    page.get_by_test_id("share-button").click()
    info = messages.filter(has_text="New link")
    expect(info).to_have_count(1)
    expect(messages.first).to_have_attribute("data-level", "info")
    shot(page, "viewer-messages")
    expect(info).to_have_count(0)
    expect(missing).to_have_count(1)


def _link(server: Server) -> tuple[str, int]:
    c = api(server)
    files = c.get(f"/api/projects/DEMO/patients/{ANATOMY[0]}/studies/{ANATOMY[1]}/files").json()
    fid = next(int(f["id"]) for f in files if f["path"] == ANATOMY[2])
    state = {"layout": "single", "viewports": [{"slice": "axial", "items": [{"file_id": fid, "name": "s002.nii"}]}]}
    r = c.post("/api/projects/DEMO/viewer/sharedstates", json={"state": state, "title": "reading 1"})
    assert r.status_code == 201, r.text
    return str(r.json()["link"]), fid


def test_share_offers_to_overwrite_the_opened_link_to_its_creator_only(browser: Browser, server: Server) -> None:
    link, _fid = _link(server)
    url = f"{server.url}/?project=DEMO&state={link}"
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, server)
    page.goto(url)
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    items(page, 0).first.get_by_test_id("vb-colormap").select_option("hot")
    page.get_by_test_id("share-button").click()
    choice = page.get_by_test_id("share-choice")
    expect(choice).to_contain_text("reading 1")
    shot(page, "viewer-share-overwrite-choice")
    page.get_by_test_id("share-overwrite").click()
    expect(page.get_by_test_id("share-url")).to_have_value(re.compile(f"state={re.escape(link)}$"))
    stored = api(server).get(f"/api/projects/DEMO/viewer/sharedstates/{link}").json()
    assert stored["state"]["viewports"][0]["items"][0]["colormap"] == "hot" and stored["title"] == "reading 1"
    # the link saved automatic limits: the image shows its own, not as this viewport's own look
    expect(items(page, 0).first.get_by_test_id("vb-min")).not_to_have_value("")
    expect(items(page, 0).first).not_to_have_class(re.compile(r"\bown\b"))
    context.close()
    # someone else (neither creator nor project admin) gets a new link at once
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, server, "reader", "reader-password")
    page.goto(url)
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("share-button").click()
    expect(page.get_by_test_id("share-url")).to_have_value(re.compile(r"state="))
    expect(page.get_by_test_id("share-choice")).to_have_count(0)
    assert not page.get_by_test_id("share-url").input_value().endswith(link)
    context.close()


def test_an_unknown_project_in_the_address_says_so(page: Page, server: Server) -> None:
    login(page, server)
    page.goto(f"{server.url}/?project=NOPE")
    message = page.get_by_test_id("viewer-message").filter(has_text="NOPE")
    expect(message).to_be_visible()
    expect(message).to_contain_text("does not exist or is not open to you")
    shown = page.get_by_test_id("project-select").input_value()
    expect(message).to_contain_text(f"showing {shown} instead")
    shot(page, "viewer-unknown-project")


def _series(server: Server, rel: str) -> Any:
    """The volume the viewer shows for a DICOM file (the server's converted series)."""
    c = api(server)
    files = c.get("/api/projects/DEMO/patients/SUBJ004/studies/20210101/files").json()
    fid = next(int(f["id"]) for f in files if f["path"] == rel)
    raw = c.get(f"/api/projects/DEMO/viewer/files/{fid}/series.nii.gz").content
    return nib.Nifti1Image.from_bytes(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)


def js_number(value: float) -> str:
    """How the viewbar writes a limit (JavaScript's String of the value rounded to 3 decimals)."""
    rounded = math.floor(value * 1000 + 0.5) / 1000
    return str(int(rounded)) if rounded == int(rounded) else repr(rounded)


def test_window_presets_fit_the_modality(page: Page, server: Server) -> None:
    mr = np.asarray(_series(server, "dicom_mr/MR_small.dcm").get_fdata()).ravel()
    mr = mr[(mr != 0) & np.isfinite(mr)]
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "SUBJ004", "20210101")
    select = page.get_by_test_id("colorlim-select")
    options = page.get_by_test_id("colorlim-option")
    file_row(page, "dicom_mr/MR_small.dcm").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("viewer-info").click()
    page.keyboard.press("1")  # not the CT brain window (0-80) on an MR image
    assert limits(page, 0) == pytest.approx(tuple(np.percentile(mr, [1, 99])), rel=1e-4)
    expect(select).to_have_attribute("data-kind", "MR")
    expect(options).to_have_text(
        [
            "0 image range auto",
            "1 standard p1–p99",
            "2 narrow p2–p98",
            "3 contrast p5–p95",
            "4 wide p0.5–p99.5",
            "5 full p0–p100",
        ]
    )
    page.get_by_test_id("viewer-info").click()
    for key, (lo, hi) in {"1": (1, 99), "3": (5, 95), "5": (0, 100)}.items():
        page.keyboard.press(key)
        want = tuple(np.percentile(mr, [lo, hi]))
        expect(page.get_by_test_id("vb-max")).to_have_value(js_number(float(want[1])))
        assert limits(page, 0) == pytest.approx(want, rel=1e-4)
    select.select_option("2")  # the toolbar list applies them too
    expect(page.get_by_test_id("vb-min")).to_have_value(js_number(float(np.percentile(mr, 2))))
    shot(page, "viewer-mr-window-presets")
    # a CT image in the same viewport: the CT windows
    file_row(page, "dicom_ct/CT_small.dcm").dblclick()
    expect(items(page, 0).first).to_have_attribute(
        "data-name", re.compile("dicom_ct"), timeout=LOAD_MS
    )  # a series is named by its folder
    wait_idle(page)
    expect(select).to_have_attribute("data-kind", "CT")
    expect(options.first).to_have_text("0 image range auto")
    expect(options.nth(1)).to_have_text("1 brain 40/80")
    page.get_by_test_id("viewer-info").click()
    page.keyboard.press("1")
    expect(page.get_by_test_id("vb-max")).to_have_value("80")
    assert limits(page, 0) == (0, 80)
