"""The viewer in headless Chromium against a running server with the demo project's real images.

Loads by double-click, drag and drop and from the user's computer; overlays; the voxel value at
the crosshair checked against nibabel; CT window keys; an autoloader walk with the arrow keys; a shared
link round trip; URL calls with good and bad tokens; unreadable and missing files.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, Server, crosshair_moved, rendered, shot
from tests.e2e.test_desktop import choose, login

pytestmark = pytest.mark.e2e
LOAD_MS = 60_000


def api(server: Server) -> httpx.Client:
    c = httpx.Client(base_url=server.url, timeout=60)
    r = c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def open_study(page: Page, pid: str, sid: str) -> None:
    page.locator(f'[data-testid="study-row"][data-pid="{pid}"][data-sid="{sid}"]').click()
    expect(page.get_by_test_id("file-row").first).to_be_visible()


def file_row(page: Page, path: str) -> Any:
    return page.locator(f'[data-testid="file-row"][data-path="{path}"]')


def items(page: Page, viewport: int) -> Any:
    return page.get_by_test_id(f"viewbar-{viewport}").get_by_test_id("viewbar-item")


def engine_debug(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => window.noraViewer.debug()")  # type: ignore[no-any-return]


def wait_idle(page: Page) -> None:
    expect(page.get_by_test_id("viewer-loading")).to_have_count(0, timeout=LOAD_MS)


def drag_file_to(page: Page, path: str, viewport: int, role: str) -> None:
    """HTML5 drag and drop with real events through the page's handlers (Playwright's mouse drag does
    not start an HTML5 drag on these rows in headless Chromium)."""
    page.evaluate(
        """([path, viewport, role]) => {
            const row = document.querySelector(`[data-testid="file-row"][data-path="${path}"]`);
            const dt = new DataTransfer();
            row.dispatchEvent(new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));
            const vp = document.querySelector(`[data-testid="viewport-${viewport}"]`);
            vp.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true}));
        }""",
        [path, viewport, role],
    )
    option = page.get_by_test_id(f"drop-options-{viewport}").get_by_test_id(f"drop-{role}")
    expect(option).to_be_visible()
    page.evaluate(
        """([path, viewport, role]) => {
            const row = document.querySelector(`[data-testid="file-row"][data-path="${path}"]`);
            const dt = new DataTransfer();
            row.dispatchEvent(new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));
            const opt = document.querySelector(`[data-testid="drop-options-${viewport}"] [data-testid="drop-${role}"]`);
            opt.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
            row.dispatchEvent(new DragEvent('dragend', {dataTransfer: dt, bubbles: true}));
        }""",
        [path, viewport, role],
    )


def demo_path(server: Server, pid: str, sid: str, rel: str) -> Path:
    return server.home / "projects" / "DEMO" / pid / sid / rel


def test_double_click_overlay_layout_and_voxel_value(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "MNI001", "20240105")
    file_row(page, "t1_mni/s001.nii.gz").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    expect(items(page, 0).first).to_have_attribute("data-role", "background")
    # overlay by drag and drop onto the same viewport's "overlay" option
    # drag from the files panel: the row's own dragstart fills the DataTransfer, the viewport shows
    # the drop options, and the drop lands on "as overlay"
    drag_file_to(page, "seg/gm.nii.gz", 0, "overlay")
    expect(items(page, 0)).to_have_count(2, timeout=LOAD_MS)
    expect(items(page, 0).nth(1)).to_have_attribute("data-role", "overlay")
    wait_idle(page)
    # click somewhere off-centre: the crosshair moves there, the values follow
    canvas = page.get_by_test_id("canvas-0")
    cb = canvas.bounding_box()
    assert cb is not None
    before = page.evaluate("() => window.noraViewer.crosshairMM")
    page.mouse.click(cb["x"] + cb["width"] * 0.42, cb["y"] + cb["height"] * 0.47)
    mm = crosshair_moved(page, before)
    values = {
        v.get_attribute("data-name"): v.get_attribute("data-value") for v in page.get_by_test_id("voxel-value").all()
    }
    for name, rel in (("s001.nii.gz", "t1_mni/s001.nii.gz"), ("gm.nii.gz", "seg/gm.nii.gz")):
        img = nib.load(demo_path(server, "MNI001", "20240105", rel))
        vox = np.rint(np.linalg.inv(img.affine) @ np.array([*mm, 1.0]))[:3].astype(int)
        want = float(np.asarray(img.dataobj)[tuple(vox)])
        assert values[name] not in (None, ""), values
        assert float(values[name]) == pytest.approx(want, rel=1e-4, abs=1e-4), (name, mm, vox)
    shot(page, "viewer-overlay")
    # layouts and the 3D viewport: test_viewer_interactions.py


def test_ct_window_keys_on_a_dicom_series(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, "SUBJ004", "20210101")
    file_row(page, "dicom_ct/CT_small.dcm").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    page.get_by_test_id("viewer-info").click()
    expected = {"1": (0, 80), "4": (-800, 2000), "5": (-1350, 150), "6": (-150, 250)}
    for key, (lo, hi) in expected.items():
        page.keyboard.press(key)
        expect(page.get_by_test_id("vb-min")).to_have_value(str(lo))
        expect(page.get_by_test_id("vb-max")).to_have_value(str(hi))
        vol = engine_debug(page)[0]["volumes"][0]
        assert (vol["cal_min"], vol["cal_max"]) == (lo, hi)
    page.keyboard.press("0")
    vol = engine_debug(page)[0]["volumes"][0]
    assert (vol["cal_min"], vol["cal_max"]) != (-150, 250)
    page.keyboard.press("1")
    shot(page, "viewer-ct-brain-window")


def _preset(server: Server, name: str) -> None:
    definition = {
        "level": "study",
        "layout": "1x2",
        "loaders": [
            {"pattern": "t1*/*.nii*", "viewports": [0]},
            {"pattern": "seg/gm.nii.gz", "viewports": [0], "intent": {"role": "overlay", "colormap": "hot"}},
            {"pattern": "fmri_bold/*.nii", "viewports": [1]},
        ],
    }
    r = api(server).put(f"/api/projects/DEMO/viewer/autoloaders/{name}?shared=true", json=definition)
    assert r.status_code == 200, r.text


def test_autoloader_walk_with_arrow_keys(page: Page, server: Server) -> None:
    _preset(server, "walk")
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("autoloader-button").click()
    page.get_by_test_id("preset-select").select_option("walk")
    page.get_by_test_id("autoload-enabled").check()
    open_study(page, "MNI001", "20240105")
    expected = [
        (["s001.nii.gz", "gm.nii.gz"], []),
        (["s002.nii"], ["s005.nii"]),
        (["s002.nii"], []),
    ]
    for step, (vp0, vp1) in enumerate(expected):
        if step:
            page.get_by_test_id("viewer-info").click()  # focus outside the table: the viewer's arrow keys
            page.keyboard.press("ArrowDown")
        wait_idle(page)
        for viewport, names in ((0, vp0), (1, vp1)):
            # the walk replaces the items; wait for the expected ones rather than reading a moment between
            expect(items(page, viewport)).to_have_count(len(names), timeout=LOAD_MS)
            for i, name in enumerate(names):
                expect(items(page, viewport).nth(i)).to_have_attribute("data-name", name, timeout=LOAD_MS)
        if step == 0:
            shot(page, "viewer-autoloader-first-case")
    # SUBJ002's follow-up has no gm.nii.gz and no fMRI: visible messages (of this case only), the rest shown
    messages = page.get_by_test_id("viewer-message")
    expect(messages.filter(has_text="No file matches loader 2 (seg/gm.nii.gz) for SUBJ002 / 20240212")).to_have_count(1)
    expect(messages.filter(has_text="No file matches loader 3 (fmri_bold/*.nii) for SUBJ002 / 20240212")).to_have_count(
        1
    )
    expect(messages).to_have_count(2)  # the first SUBJ002 study's message went with its case
    assert page.get_by_test_id("layout-select").input_value() == "1x2"


def test_dropping_a_preset_on_a_row_selects_it_and_runs_the_preset(page: Page, server: Server) -> None:
    _preset(server, "dropped")
    definition = {"level": "study", "layout": "single", "loaders": [{"pattern": "t1*/*.nii*", "viewports": [0]}]}
    r = api(server).put("/api/projects/DEMO/viewer/autoloaders/chosen?shared=true", json=definition)
    assert r.status_code == 200, r.text
    login(page, server)
    choose(page, "DEMO")
    # autoload on with another preset chosen: the drop runs the dropped preset, not the chosen one
    page.get_by_test_id("autoloader-button").click()
    page.get_by_test_id("preset-select").select_option("chosen")
    page.get_by_test_id("autoload-enabled").check()
    open_study(page, "MNI001", "20240105")
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    expect(page.get_by_test_id("layout-select")).to_have_value("single")
    wait_idle(page)
    asked: list[str] = []  # the autoload runs asked for from the drop on
    page.on("request", lambda r: asked.append(r.post_data or "{}") if r.url.endswith("/viewer/autoload") else None)
    accepted = page.evaluate(
        """() => {
            const chip = document.querySelector('[data-testid="preset-chip"][data-name="dropped"]');
            const row = document.querySelector('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20230611"]');
            const dt = new DataTransfer();
            chip.dispatchEvent(new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));
            row.dispatchEvent(new DragEvent('dragenter', {dataTransfer: dt, bubbles: true, cancelable: true}));
            const over = new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true});
            row.dispatchEvent(over);
            row.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
            chip.dispatchEvent(new DragEvent('dragend', {dataTransfer: dt, bubbles: true}));
            return over.defaultPrevented;
        }"""
    )
    assert accepted, "the row accepts a preset drag"
    row = page.locator('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20230611"]')
    expect(row).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("layout-select")).to_have_value("1x2", timeout=LOAD_MS)
    wait_idle(page)
    for viewport, name in ((0, "s002.nii"), (1, "s005.nii")):
        expect(items(page, viewport)).to_have_count(1, timeout=LOAD_MS)
        expect(items(page, viewport).first).to_have_attribute("data-name", name, timeout=LOAD_MS)
    # nothing else (the chosen preset) replaces it afterwards: every autoload asked for since the drop
    # (they are asked for as the row is selected) ran the dropped preset, and all have been answered
    rendered(page)
    wait_idle(page)
    runs = [json.loads(body)["definition"]["layout"] for body in asked]
    assert runs and set(runs) == {"1x2"}, runs
    expect(page.get_by_test_id("layout-select")).to_have_value("1x2")
    expect(items(page, 1)).to_have_count(1)
    shot(page, "viewer-preset-dropped-on-row")


def test_shared_link_round_trip(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("1x2")
    open_study(page, "SUBJ002", "20230611")
    file_row(page, "t1_mprage/s002.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    file_row(page, "fmri_4d/s006.nii.gz").dblclick()
    expect(items(page, 1)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    expect(items(page, 1).get_by_test_id("vb-frame")).to_be_visible()
    items(page, 1).get_by_test_id("vb-frame").fill("1")
    items(page, 0).get_by_test_id("vb-colormap").select_option("hot")
    items(page, 0).get_by_test_id("vb-min").fill("20")
    page.mouse.click(10, 10)
    page.evaluate("() => window.noraViewer.setCrosshairMM([2.0, -10.0, 8.0])")
    page.evaluate("() => window.noraViewer.zoom(0, 1.5)")
    before = engine_debug(page)
    page.get_by_test_id("share-button").click()
    url = page.get_by_test_id("share-url").input_value()
    assert "state=" in url and "project=DEMO" in url
    other = page.context.new_page()
    other.goto(url)
    expect(items(other, 1)).to_have_count(1, timeout=LOAD_MS)
    expect(items(other, 0)).to_have_count(1, timeout=LOAD_MS)
    expect(other.get_by_test_id("layout-select")).to_have_value("1x2")
    wait_idle(other)
    after = engine_debug(other)
    for b, a in zip(before, after, strict=True):
        assert a["slice"] == b["slice"]
        assert a["zoom"] == pytest.approx(b["zoom"])
        assert [(v["colormap"], v["cal_min"], v["cal_max"]) for v in a["volumes"]] == [
            (v["colormap"], v["cal_min"], v["cal_max"]) for v in b["volumes"]
        ]
        assert a["crosshair"] == pytest.approx(b["crosshair"], abs=1e-3)
    expect(items(other, 1).get_by_test_id("vb-frame")).to_have_value("1")
    shot(other, "viewer-shared-link")
    other.close()


def test_url_call_with_token_and_with_a_bad_token(browser: Any, server: Server) -> None:
    _preset(server, "urlcall")
    token = api(server).post("/api/auth/tokens", json={"name": "url"}).json()["token"]
    call = {
        "pid": "SUBJ002",
        "sid": "20230611",
        "preset": "urlcall",
        "selmode": "study",
        "user": "admin",
        "token": token,
    }
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server.url}/?project=DEMO&call={urllib.parse.quote(json.dumps(call))}")
    expect(page.get_by_test_id("project-select")).to_have_value("DEMO")
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    assert items(page, 0).first.get_attribute("data-name") == "s002.nii"
    expect(items(page, 1)).to_have_count(1, timeout=LOAD_MS)
    shot(page, "viewer-url-call")
    context.close()
    context = browser.new_context()
    page = context.new_page()
    bad = {**call, "token": "nora_not-a-token"}
    page.goto(f"{server.url}/?project=DEMO&call={urllib.parse.quote(json.dumps(bad))}")
    expect(page.get_by_role("alert").first).to_contain_text("invalid token")
    expect(page.get_by_test_id("login-username")).to_be_visible()
    context.close()


def test_unreadable_missing_and_local_files(page: Page, server: Server) -> None:
    c = api(server)
    c.post("/api/projects", json={"name": "VIEWBAD"})
    c.post("/api/projects/VIEWBAD/patients", json={"pid": "B1"})
    c.post("/api/projects/VIEWBAD/patients/B1/studies", json={"sid": "S1"})
    raw = (Path(data_path) / "anatomical.nii").read_bytes()
    up = c.post(
        "/api/projects/VIEWBAD/patients/B1/studies/S1/files",
        files=[("file", ("t1/good.nii", raw)), ("file", ("t1/broken.nii", raw)), ("file", ("t1/gone.nii", raw))],
    )
    assert up.status_code == 201, up.text
    folder = server.home / "projects" / "VIEWBAD" / "B1" / "S1" / "t1"
    (folder / "broken.nii").write_bytes(b"\x00" * 120 + b"garbage")  # damaged on disk after import
    (folder / "gone.nii").unlink()
    login(page, server)
    choose(page, "VIEWBAD")
    open_study(page, "B1", "S1")
    file_row(page, "t1/good.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    file_row(page, "t1/broken.nii").dblclick()
    expect(page.get_by_test_id("viewer-message").filter(has_text="broken.nii")).to_be_visible(timeout=LOAD_MS)
    file_row(page, "t1/gone.nii").dblclick()
    expect(page.get_by_test_id("viewer-message").filter(has_text="missing on disk")).to_be_visible(timeout=LOAD_MS)
    # the rest keeps working: a file from the user's computer, dropped as an overlay, is shown without upload
    b64 = base64.b64encode(raw).decode()
    make = """const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer(); dt.items.add(new File([bytes], 'local-anatomy.nii'));"""
    page.evaluate(
        f"""([b64]) => {{ {make}
            document.querySelector('[data-testid="viewport-0"]')
              .dispatchEvent(new DragEvent('dragenter', {{dataTransfer: dt, bubbles: true}})); }}""",
        [b64],
    )
    expect(page.get_by_test_id("drop-options-0").get_by_test_id("drop-overlay")).to_be_visible()
    page.evaluate(
        f"""([b64]) => {{ {make}
            document.querySelector('[data-testid="drop-options-0"] [data-testid="drop-overlay"]')
              .dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}})); }}""",
        [b64],
    )
    expect(items(page, 0)).to_have_count(2, timeout=LOAD_MS)
    expect(items(page, 0).nth(1)).to_have_attribute("data-name", "local-anatomy.nii")
    files_after = c.get("/api/projects/VIEWBAD/patients/B1/studies/S1/files").json()
    assert len(files_after) == 3, "a local file is never uploaded"
    shot(page, "viewer-bad-files")
