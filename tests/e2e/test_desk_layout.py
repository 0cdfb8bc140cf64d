"""The desktop's layout at 1600 px: the viewer gets the larger share and the splitter is remembered per
user; the autoloader panel's remove buttons, the colour-limit fields and the orientation labels are on
screen and readable; a DICOM series is shown by a readable name, not its SOP-UID file name."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pydicom
import pydicom.data
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e
WIDE = {"width": 1600, "height": 900}


def _box(locator: Any) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box  # type: ignore[no-any-return]


def _logout(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()


def test_viewer_gets_the_larger_share_and_the_splitter_is_remembered_per_user(page: Page, server: Server) -> None:
    page.set_viewport_size(WIDE)
    login(page, server)
    choose(page, "DEMO")
    table, viewer = page.locator(".left-pane"), page.get_by_test_id("viewer")
    assert _box(viewer)["width"] > _box(table)["width"]
    splitter = page.get_by_role("separator", name="Resize viewer")
    s = _box(splitter)
    page.mouse.move(s["x"] + s["width"] / 2, 400)
    page.mouse.down()
    page.mouse.move(s["x"] + 200, 400, steps=5)
    page.mouse.up()
    moved = _box(table)["width"]
    _logout(page)
    login(page, server, "reader", "reader-password")
    choose(page, "DEMO")
    assert abs(_box(table)["width"] - moved) > 100  # another user: the default, not the admin's place
    _logout(page)
    login(page, server)
    choose(page, "DEMO")
    assert abs(_box(table)["width"] - moved) < 3  # the admin's own place again


def test_autoloader_panel_viewbar_and_orientation_labels_on_screen(page: Page, server: Server) -> None:
    page.set_viewport_size(WIDE)
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    file_row(page, "t1_mni/s001.nii.gz").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=60_000)
    wait_idle(page)
    page.get_by_test_id("layout-select").select_option("2x2")

    # colour-limit fields show their whole value
    for field in ("vb-min", "vb-max"):
        el = items(page, 0).first.get_by_test_id(field)
        expect(el).not_to_have_value("")
        width = el.evaluate(
            "el => { const c = document.createElement('canvas').getContext('2d');"
            " c.font = getComputedStyle(el).font; return c.measureText(el.value).width; }"
        )
        inner = el.evaluate(
            "el => el.clientWidth - parseFloat(getComputedStyle(el).paddingLeft)"
            " - parseFloat(getComputedStyle(el).paddingRight) - 14"
        )  # the spin buttons
        assert width <= inner, (field, width, inner)

    # the viewbar sits above the image, not over it; niivue's labels are at least 18 px
    canvas, bar = _box(page.get_by_test_id("canvas-0")), _box(page.get_by_test_id("viewbar-0"))
    assert bar["y"] + bar["height"] <= canvas["y"] + 1, (bar, canvas)
    font = page.evaluate("() => window.noraViewer.viewports[0].nv.fontPx / (window.devicePixelRatio || 1)")
    assert font >= 18
    shot(page, "layout-viewer-2x2")

    # the autoloader panel: every loader's remove button is on screen
    page.get_by_test_id("autoloader-button").click()
    panel = page.get_by_test_id("autoloader-panel")
    for _ in range(3):
        panel.get_by_test_id("al-add").click()
    removes = panel.get_by_test_id("al-remove")
    expect(removes).to_have_count(3)
    for i in range(3):
        b = _box(removes.nth(i))
        assert b["x"] >= 0 and b["x"] + b["width"] <= WIDE["width"], b
    removes.first.click()
    expect(removes).to_have_count(2)
    shot(page, "layout-autoloader")


def test_dicom_series_shown_by_a_readable_name(page: Page, server: Server) -> None:
    ds = pydicom.dcmread(pydicom.data.get_testdata_file("MR_small.dcm"))
    ds.SeriesDescription = "T2 axial"
    buf = io.BytesIO()
    ds.save_as(buf)
    uid_name = f"{ds.SOPInstanceUID}.dcm"
    with httpx.Client(base_url=f"{server.url}/api", timeout=30) as c:
        assert c.post("/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
        if c.get("/projects/NAMES").status_code == 404:
            assert c.post("/projects", json={"name": "NAMES", "description": "DICOM names"}).status_code == 201
            assert c.post("/projects/NAMES/patients", json={"pid": "P1"}).status_code == 201
            assert c.post("/projects/NAMES/patients/P1/studies", json={"sid": "S1"}).status_code == 201
            url = "/projects/NAMES/patients/P1/studies/S1/files"
            r = c.post(url, files={"file": (uid_name, buf.getvalue())}, data={"folder": "mr_uidnamed"})
            assert r.status_code == 201, r.text
    page.set_viewport_size(WIDE)
    login(page, server)
    choose(page, "NAMES")
    open_study(page, "P1", "S1")
    file_row(page, f"mr_uidnamed/{uid_name}").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=60_000)
    wait_idle(page)
    value = page.get_by_test_id("voxel-value").first
    expect(value).to_have_attribute("data-name", "T2 axial (MR series)")
    expect(page.get_by_test_id("viewer-info")).not_to_contain_text("1.3.6.1")
    expect(items(page, 0).first).to_contain_text("T2 axial")
    shot(page, "layout-dicom-name")
