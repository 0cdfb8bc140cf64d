"""NORA's mouse actions and colour-limit presets in the viewer, in headless Chromium against the demo project.

Shift + left drag pans one viewport, Ctrl + left drag all 2D viewports; C centres on the crosshair; Shift +
wheel steps the 4D frame (value readout checked against nibabel) and the mosaic columns; Ctrl + Shift +
click / drag pins a time series whose values equal nibabel's; keys 0-8 apply the project's presets set
through the REST API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Literal

import nibabel as nib
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, rendered, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, demo_path, engine_debug, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e

ANATOMY = ("SUBJ002", "20230611", "t1_mprage/s002.nii")
BOLD = ("SUBJ002", "20230611", "fmri_bold/s005.nii")  # 17 x 21 x 3 voxels, 20 frames


def load(page: Page, rel: str, viewport: int) -> None:
    file_row(page, rel).dblclick()
    expect(items(page, viewport)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)


def canvas_point(page: Page, viewport: int, fx: float, fy: float) -> tuple[float, float]:
    box = page.get_by_test_id(f"canvas-{viewport}").bounding_box()
    assert box is not None
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def drag(
    page: Page,
    viewport: int,
    modifiers: list[str],
    start: tuple[float, float],
    by: tuple[int, int],
    button: Literal["left", "right"] = "left",
) -> None:
    x, y = canvas_point(page, viewport, *start)
    page.mouse.move(x, y)
    for key in modifiers:
        page.keyboard.down(key)
    page.mouse.down(button=button)
    for step in range(1, 5):
        page.mouse.move(x + by[0] * step / 4, y + by[1] * step / 4)
    page.mouse.up(button=button)
    for key in reversed(modifiers):
        page.keyboard.up(key)


def pans(page: Page) -> list[list[float]]:
    return [vp["pan"] for vp in engine_debug(page)]


def world_to_voxel(img: Any, mm: list[float]) -> tuple[int, ...]:
    return tuple(int(v) for v in np.rint(np.linalg.inv(img.affine) @ np.array([*mm, 1.0]))[:3])


def expect_value(readout: Any, want: float, timeout_s: float = 5.0) -> None:
    """The value readout reaches `want` (it follows the frame change within a render)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = readout.get_attribute("data-value")
        if got not in (None, "") and float(got) == pytest.approx(want, rel=1e-5):
            return
        assert time.monotonic() < deadline, f"value readout {got}, nibabel {want}"
        time.sleep(0.05)


@pytest.fixture
def custom_presets(server: Server) -> Iterator[dict[str, Any]]:
    presets = {"2": {"name": "dim", "min": 10, "max": 200}, "7": {"name": "narrow", "level": 100, "width": 50}}
    c = api(server)
    try:
        r = c.patch("/api/projects/DEMO", json={"settings": {"colorlimpresets": presets}})
        assert r.status_code == 200, r.text
        assert r.json()["settings"]["colorlimpresets"]["7"] == {"name": "narrow", "level": 100.0, "width": 50.0}
        bad = c.patch("/api/projects/DEMO", json={"settings": {"colorlimpresets": {"9": presets["2"]}}})
        assert bad.status_code == 422, bad.text  # the body fails ProjectSettings
        assert "preset keys are the digits 0 to 8, not '9'" in bad.json()["detail"]
        yield presets
    finally:  # the other browser tests expect the default CT windows on DEMO
        assert c.patch("/api/projects/DEMO", json={"settings": {"colorlimpresets": None}}).status_code == 200


def test_number_keys_apply_the_projects_colour_limit_presets(page: Page, server: Server, custom_presets: Any) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, *ANATOMY[:2])
    options = page.get_by_test_id("colorlim-option")
    expect(options).to_have_text(["2 dim 10–200", "7 narrow 100/50"])
    load(page, ANATOMY[2], 0)
    page.get_by_test_id("viewer-info").click()

    def limits() -> tuple[float, float]:
        vol = engine_debug(page)[0]["volumes"][0]
        return vol["cal_min"], vol["cal_max"]

    page.keyboard.press("7")
    expect(page.get_by_test_id("vb-min")).to_have_value("75")
    assert limits() == (75, 125)
    page.keyboard.press("2")
    expect(page.get_by_test_id("vb-max")).to_have_value("200")
    assert limits() == (10, 200)
    for unset in ("1", "0", "8"):  # keys without a preset in this project do nothing
        page.keyboard.press(unset)
        rendered(page)
        assert limits() == (10, 200)
    page.get_by_test_id("colorlim-select").select_option("7")  # the toolbar list applies them too
    expect(page.get_by_test_id("vb-min")).to_have_value("75")
    assert limits() == (75, 125)


def test_shift_drag_pans_one_viewport_ctrl_drag_all_and_c_centres(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("mpr")
    open_study(page, *ANATOMY[:2])
    for viewport in range(3):
        load(page, ANATOMY[2], viewport)
    crosshair = page.evaluate("() => window.noraViewer.crosshairMM")
    before = pans(page)
    assert before == [[0, 0, 0]] * 3

    drag(page, 0, ["Shift"], (0.5, 0.5), (60, 40))
    after = pans(page)
    assert after[0] != before[0], "Shift + drag pans the viewport under the mouse"
    assert after[1:] == before[1:], "and only that one"
    assert page.evaluate("() => window.noraViewer.crosshairMM") == crosshair, "niivue did not also move the crosshair"

    drag(page, 0, ["Control"], (0.5, 0.5), (-50, 30))
    synced = pans(page)
    assert all(s != a for s, a in zip(synced, after, strict=True)), "Ctrl + drag pans every 2D viewport"
    zooms = [vp["zoom"] for vp in engine_debug(page)]
    moved = [np.subtract(s, a) / z for s, a, z in zip(synced, after, zooms, strict=True)]
    for m in moved[1:]:  # by the same world distance
        assert m == pytest.approx(moved[0], abs=1e-3)
    assert page.evaluate("() => window.noraViewer.crosshairMM") == crosshair
    drag(page, 1, ["Shift"], (0.5, 0.5), (30, -20), button="right")  # NORA's other synchronised pan
    assert all(p != s for p, s in zip(pans(page), synced, strict=True))
    shot(page, "viewer-mouse-pan")

    # C centres the viewport under the mouse on the crosshair, Shift + C resets its pan and zoom
    page.mouse.click(*canvas_point(page, 0, 0.6, 0.4))
    page.evaluate("() => window.noraViewer.zoom(0, 1.5)")
    page.keyboard.press("c")
    centre_mm, cross_mm = page.evaluate(
        """() => {
            const nv = window.noraViewer.viewports[0].nv;
            const c = nv.canvas;
            return [Array.from(nv.screenXY2mm(c.width / 2, c.height / 2)).slice(0, 2),
                    Array.from(nv.frac2mm(nv.scene.crosshairPos)).slice(0, 2)];
        }"""
    )
    assert centre_mm == pytest.approx(cross_mm, abs=2.0), "the crosshair is in the middle (within a voxel)"
    page.keyboard.press("Shift+C")
    assert pans(page)[0] == [0, 0, 0] and engine_debug(page)[0]["zoom"] == 1


def test_shift_wheel_frames_mosaic_columns_and_the_time_series_pin(page: Page, server: Server) -> None:
    img = nib.load(demo_path(server, *BOLD))
    data = np.asarray(img.get_fdata())
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("1x2")
    open_study(page, *BOLD[:2])
    load(page, BOLD[2], 0)
    frame_box = items(page, 0).get_by_test_id("vb-frame")
    expect(frame_box).to_have_value("0")
    page.mouse.click(*canvas_point(page, 0, 0.45, 0.55))
    mm = page.evaluate("() => window.noraViewer.crosshairMM")
    vox = world_to_voxel(img, mm)
    readout = page.get_by_test_id("voxel-value").first

    page.mouse.move(*canvas_point(page, 0, 0.5, 0.5))
    page.keyboard.down("Shift")
    for frame in (1, 2, 3):
        page.mouse.wheel(0, -100)
        expect(frame_box).to_have_value(str(frame))
        expect_value(readout, float(data[(*vox, frame)]))
    page.mouse.wheel(0, 100)
    expect(frame_box).to_have_value("2")
    page.keyboard.up("Shift")
    assert engine_debug(page)[0]["volumes"][0]["frame"] == 2
    assert float(readout.get_attribute("data-value") or "nan") == pytest.approx(data[(*vox, 2)])

    # Ctrl + Shift + click pins the time course at the clicked point; the plot is nibabel's time course
    pin = page.get_by_test_id("pin-viewer")
    page.keyboard.down("Control")
    page.keyboard.down("Shift")
    page.mouse.click(*canvas_point(page, 0, 0.55, 0.45))
    expect(pin).to_be_visible()

    def pinned() -> tuple[tuple[int, ...], list[float]]:
        at = [float(v) for v in (pin.get_attribute("data-mm") or "").split(",")]
        return world_to_voxel(img, at), [float(v) for v in json.loads(pin.get_attribute("data-values") or "[]")]

    first_vox, values = pinned()
    assert values == pytest.approx(data[first_vox].tolist())
    assert len(values) == 20
    expect(pin).to_have_attribute("data-frame", "2")
    # dragging with Ctrl + Shift keeps updating it
    x, y = canvas_point(page, 0, 0.55, 0.45)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 40, y + 30, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    page.keyboard.up("Control")
    moved_vox, values = pinned()
    assert moved_vox != first_vox
    assert values == pytest.approx(data[moved_vox].tolist())
    expect(page.get_by_test_id("pin-line")).to_be_visible()
    shot(page, "viewer-time-series-pin")
    page.keyboard.press("Escape")
    expect(pin).to_have_count(0)
    page.keyboard.down("Control")
    page.keyboard.down("Shift")
    page.mouse.click(x, y)
    page.keyboard.up("Shift")
    page.keyboard.up("Control")
    expect(pin).to_be_visible()
    page.get_by_test_id("pin-close").click()
    expect(pin).to_have_count(0)

    # Shift + wheel in mosaic slicing changes the number of columns
    page.get_by_test_id("slice-select-1").select_option("mosaic")
    load(page, BOLD[2], 1)
    columns = lambda: len(engine_debug(page)[1]["mosaic"].split(";")[0].split()) - 1  # noqa: E731
    assert columns() == 8
    page.mouse.move(*canvas_point(page, 1, 0.5, 0.5))
    page.keyboard.down("Shift")
    page.mouse.wheel(0, 100)
    page.mouse.wheel(0, 100)
    page.keyboard.up("Shift")
    assert columns() == 6
    # the mosaic and its column count travel with a shared link (the server used to refuse "mosaic")
    page.get_by_test_id("share-button").click()
    url = page.get_by_test_id("share-url").input_value()
    other = page.context.new_page()
    other.goto(url)
    expect(other.get_by_test_id("viewbar-1").get_by_test_id("viewbar-item")).to_have_count(1, timeout=60_000)
    expect(other.get_by_test_id("viewer-loading")).to_have_count(0, timeout=60_000)
    assert engine_debug(other)[1]["slice"] == "mosaic"
    assert len(engine_debug(other)[1]["mosaic"].split(";")[0].split()) - 1 == 6
    other.close()
