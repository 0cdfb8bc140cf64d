"""The ROI tool in the page: draw in a viewport and save (the server's ROI file holds exactly the page's
voxels), undo / redo, a 409 conflict answered where the user saved, a thresholding pen, an ROI from an
image's viewbar, and ROIstats agreeing with the server's route."""

from __future__ import annotations

import re
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Server, crosshair_moved, rendered, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e

INSIDE = (
    "() => { const r = window.noraRois.ws.current; const out = [];"
    " r.roi.data.forEach((v, i) => v && out.push(i)); return out; }"
)
INSIDE_OF = (
    "(name) => { const r = window.noraRois.ws.rois.find((x) => x.name === name); const out = [];"
    " r.roi.data.forEach((v, i) => v && out.push(i)); return out; }"
)
SLICES = (
    "() => { const r = window.noraRois.ws.current; const [nx, ny] = r.roi.grid.dims; const ks = new Set();"
    " r.roi.data.forEach((v, i) => v && ks.add(Math.floor(i / (nx * ny)))); return ks.size; }"
)
SHARED = (
    "() => { const t = window.noraRois; const r = t.ws.current;"
    " return t.overlays.volumeIn(0, r.id).img === r.roi.data; }"
)


def row(page: Page, name: str) -> Any:
    return page.locator(f'[data-testid="roi-row"][data-name="{name}"]')


def voxels(page: Page, name: str) -> int:
    return int(row(page, name).get_attribute("data-voxels") or 0)


def wait_voxels(page: Page, name: str, test: str) -> int:
    """Wait until the row's voxel count satisfies ``test`` (a JS expression of n) and return it."""
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('[data-testid="roi-row"][data-name="{name}"]');
        if (!el) return false; const n = Number(el.dataset.voxels); return {test}; }}"""
    )
    return voxels(page, name)


def stroke(page: Page, box: Any, a: tuple[float, float], b: tuple[float, float], button: str = "left") -> None:
    page.mouse.move(box["x"] + box["width"] * a[0], box["y"] + box["height"] * a[1])
    page.mouse.down(button=button)  # type: ignore[arg-type]
    for t in (0.25, 0.5, 0.75, 1.0):
        x = a[0] + (b[0] - a[0]) * t
        y = a[1] + (b[1] - a[1]) * t
        page.mouse.move(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
    page.mouse.up(button=button)  # type: ignore[arg-type]


def on_disk(server: Server, pid: str, sid: str, name: str) -> list[int]:
    img = nib.load(server.home / "projects" / "DEMO" / pid / sid / "ROIS" / f"{name}.nii.gz")
    data = np.asarray(img.dataobj)
    return [int(i) for i in np.flatnonzero(data.ravel(order="F"))]


def open_image(page: Page, server: Server, pid: str, sid: str, path: str) -> dict[str, float]:
    login(page, server)
    choose(page, "DEMO")
    open_study(page, pid, sid)
    file_row(page, path).dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    box = page.get_by_test_id("canvas-0").bounding_box()
    assert box is not None
    return box


def test_draw_undo_redo_save_and_a_conflict(page: Page, server: Server) -> None:
    box = open_image(page, server, "SUBJ002", "20240212", "t1_mprage/s002.nii")
    page.keyboard.press("d")
    expect(page.get_by_test_id("roi-tool")).to_be_visible()
    page.get_by_test_id("roi-new").click()
    expect(row(page, "roi")).to_have_count(1)
    page.get_by_test_id("roi-pen-size").fill("2")

    # the pen's footprint follows the pointer; Shift + wheel sets the pen size
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(page.get_by_test_id("roi-pen-cursor")).to_have_attribute("data-radius", "2")
    page.keyboard.down("Shift")
    page.mouse.wheel(0, -120)
    page.keyboard.up("Shift")
    expect(page.get_by_test_id("roi-pen-size")).to_have_value("3")
    expect(page.get_by_test_id("roi-pen-cursor")).to_have_attribute("data-radius", "3")
    crosshair = page.evaluate("() => window.noraViewer.crosshairMM")
    stroke(page, box, (0.35, 0.5), (0.65, 0.5))
    painted = wait_voxels(page, "roi", "n > 0")
    assert page.evaluate("() => window.noraViewer.crosshairMM") == crosshair, "drawing does not move the crosshair"
    # the ROI is a niivue overlay of viewport 0 whose voxels are the mask itself (no copy per stroke)
    assert page.evaluate(SHARED)
    stroke(page, box, (0.45, 0.5), (0.55, 0.5), button="right")
    erased = wait_voxels(page, "roi", f"n < {painted}")
    after_erase = page.evaluate(INSIDE)
    shot(page, "roi-tool-drawn")

    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.keyboard.press("Control+z")
    assert wait_voxels(page, "roi", f"n === {painted}") == painted
    page.keyboard.press("Control+Shift+z")
    assert wait_voxels(page, "roi", f"n === {erased}") == erased

    # Space: drawing off, a stroke moves the crosshair instead and paints nothing
    page.keyboard.press("Space")
    expect(page.get_by_test_id("roi-drawing")).not_to_be_checked()
    stroke(page, box, (0.3, 0.3), (0.32, 0.3))
    rendered(page)
    assert voxels(page, "roi") == erased
    page.keyboard.press("Space")
    expect(page.get_by_test_id("roi-drawing")).to_be_checked()

    row(page, "roi").get_by_test_id("roi-save").click()
    expect(row(page, "roi")).to_have_attribute("data-dirty", "0")
    # version 1, or the next one where tests/e2e/test_roi_tool_more.py saved this study's "roi" before on
    # the same server (a delete keeps an ROI's versions)
    saved = int(row(page, "roi").get_attribute("data-version") or 0)
    client = api(server)
    assert saved >= 1
    assert client.get("/api/projects/DEMO/patients/SUBJ002/studies/20240212/rois/roi").json()["current"] == saved
    assert on_disk(server, "SUBJ002", "20240212", "roi") == after_erase

    # someone else saves the next version meanwhile: the page's next save is a conflict, answered in its row
    ref = client.get("/api/projects/DEMO/patients/SUBJ002/studies/20240212/rois/roi").json()["reference_id"]
    theirs = client.put(
        "/api/projects/DEMO/patients/SUBJ002/studies/20240212/rois/roi",
        params={"reference": ref, "base": saved},
        content=(server.home / "projects/DEMO/SUBJ002/20240212/ROIS/roi.nii.gz").read_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert theirs.status_code == 200, theirs.text
    stroke(page, box, (0.4, 0.6), (0.6, 0.6))
    wait_voxels(page, "roi", f"n > {erased}")
    mine = page.evaluate(INSIDE)
    row(page, "roi").get_by_test_id("roi-save").click()
    conflict = row(page, "roi").get_by_test_id("roi-conflict")
    expect(conflict).to_contain_text("meanwhile")
    shot(page, "roi-tool-conflict")
    conflict.get_by_test_id("roi-conflict-overwrite").click()
    expect(conflict).to_have_count(0)
    # saved + 1: theirs, + 2: the rejected copy, + 3: saved over it
    expect(row(page, "roi")).to_have_attribute("data-version", str(saved + 3))
    assert on_disk(server, "SUBJ002", "20240212", "roi") == mine
    assert client.delete("/api/projects/DEMO/patients/SUBJ002/studies/20240212/rois/roi").status_code == 204

    # outline, V (hide all and back), focus on the centre of gravity, delete from the workspace
    nv = "window.noraViewer.viewports[0].nv"
    overlay = "window.noraRois.overlays.volumeIn(0, window.noraRois.ws.current.id)"
    row(page, "roi").get_by_test_id("roi-outline").check()
    page.wait_for_function(f"() => {nv}.overlayOutlineWidth === 2")
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("v")
    page.wait_for_function(f"() => {overlay}.opacity === 0")
    page.keyboard.press("v")
    page.wait_for_function(f"() => {overlay}.opacity === 0.5")
    before = page.evaluate("() => window.noraViewer.crosshairMM")
    row(page, "roi").get_by_test_id("roi-focus").click()
    centre = crosshair_moved(page, before)
    want = page.evaluate(
        "() => { const r = window.noraRois.ws.current; const [nx, ny] = r.roi.grid.dims; let n = 0, s = [0, 0, 0];"
        " r.roi.data.forEach((v, i) => { if (v) { n++; s[0] += i % nx; s[1] += Math.floor(i / nx) % ny;"
        " s[2] += Math.floor(i / (nx * ny)); } }); const a = r.roi.grid.affine; const c = s.map((x) => x / n);"
        " return [0, 1, 2].map((k) => a[4 * k] * c[0] + a[4 * k + 1] * c[1] + a[4 * k + 2] * c[2] + a[4 * k + 3]); }"
    )
    assert centre == pytest.approx(want, abs=1.0)  # niivue snaps the crosshair to the background's voxels
    row(page, "roi").get_by_test_id("roi-delete").click()
    expect(page.get_by_test_id("roi-row")).to_have_count(0)
    page.wait_for_function(f"() => {nv}.volumes.length === 1")


def drop_on_roi_tool(page: Page, path: str) -> None:
    """An HTML5 drag of a files-panel row onto the ROI tool's list (real events through the handlers)."""
    page.evaluate(
        """(path) => {
            const row = document.querySelector(`[data-testid="file-row"][data-path="${path}"]`);
            const dt = new DataTransfer();
            row.dispatchEvent(new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));
            const list = document.querySelector('[data-testid="roi-list"]');
            list.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
            list.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
            row.dispatchEvent(new DragEvent('dragend', {dataTransfer: dt, bubbles: true}));
        }""",
        path,
    )


def test_pens_roi_from_image_dropped_file_and_roistats_agree_with_the_server(page: Page, server: Server) -> None:
    image = nib.load(server.home / "projects/DEMO/SUBJ002/20230611/t1_mprage/s002.nii")
    values = np.asarray(image.get_fdata(), dtype=np.float64)
    # an ROI saved on the server before (its file in the files panel): the brighter voxels
    truth = (values > np.percentile(values, 80)).astype(np.uint8)
    client = api(server)
    study = "/api/projects/DEMO/patients/SUBJ002/studies/20230611"
    listing = client.get(f"{study}/files").json()
    rows = listing["items"] if isinstance(listing, dict) else listing
    ref = next(f["id"] for f in rows if f["path"] == "t1_mprage/s002.nii")
    made = client.put(
        f"{study}/rois/bright",
        params={"reference": ref, "base": 0},
        content=nib.Nifti1Image(truth, image.affine).to_bytes(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert made.status_code == 200, made.text
    box = open_image(page, server, "SUBJ002", "20230611", "t1_mprage/s002.nii")
    page.get_by_test_id("roi-tool-button").click()

    # the viewbar's ROI button: the voxels at or above the lower colour limit
    items(page, 0).first.get_by_test_id("vb-roi-from-image").click()
    low = float(items(page, 0).first.get_by_test_id("vb-min").input_value())
    expect(row(page, "s002_roi")).to_have_count(1)
    exact = page.evaluate("() => [...window.noraViewer.items.values()][0].look.calMin")
    assert voxels(page, "s002_roi") == int((values >= exact).sum()) > 0
    assert abs(exact - low) < 1e-2

    # a ROIS/ file dragged from the files panel opens as an ROI at its version
    drop_on_roi_tool(page, "ROIS/bright.nii.gz")
    expect(row(page, "bright")).to_have_count(1)
    assert voxels(page, "bright") == int(truth.sum())
    assert row(page, "bright").get_attribute("data-version") == "1"

    # Higher with a number: only voxels at or above it within the pen
    page.get_by_test_id("roi-new").click()
    expect(row(page, "roi")).to_have_count(1)
    page.get_by_test_id("roi-pen-kind").select_option("higher")
    page.get_by_test_id("roi-pen-threshold").fill("5000")
    page.get_by_test_id("roi-pen-size").fill("4")
    stroke(page, box, (0.5, 0.45), (0.5, 0.55))
    wait_voxels(page, "roi", "n > 0")
    inside = page.evaluate(INSIDE)
    flat = values.ravel(order="F")
    assert all(flat[i] >= 5000 for i in inside)
    # 3D region growing: a press and a drag to the right grow one connected region through the slices
    page.get_by_test_id("roi-new").click()
    expect(row(page, "roi_2")).to_have_count(1)
    page.get_by_test_id("roi-pen-kind").select_option("grow3d")
    stroke(page, box, (0.5, 0.5), (0.6, 0.5))
    grown = wait_voxels(page, "roi_2", "n > 1")
    slices = page.evaluate(SLICES)
    assert grown > 1 and slices > 1
    # the polygon: four clicks, a point dragged outwards, rendered into the ROI's slice, undone
    page.get_by_test_id("roi-pen-kind").select_option("polygon")
    for x, y in ((0.3, 0.3), (0.45, 0.3), (0.45, 0.45), (0.3, 0.45)):
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
    expect(page.get_by_test_id("roi-polygon")).to_have_attribute("data-points", "4")
    stroke(page, box, (0.45, 0.45), (0.5, 0.5))  # a press on a point moves it
    expect(page.get_by_test_id("roi-polygon")).to_have_attribute("data-points", "4")
    shot(page, "roi-tool-polygon")
    page.get_by_test_id("roi-poly-render").click()
    expect(page.get_by_test_id("roi-polygon")).to_have_count(0)
    filled = wait_voxels(page, "roi_2", f"n > {grown}")
    page.keyboard.press("Control+z")
    assert wait_voxels(page, "roi_2", f"n === {grown}") == grown
    page.keyboard.press("Control+Shift+z")
    assert wait_voxels(page, "roi_2", f"n === {filled}") == filled
    shot(page, "roi-tool-pens")

    # ROIstats in the page = the server's route on the saved ROI
    row(page, "roi").get_by_test_id("roi-save").click()
    expect(row(page, "roi")).to_have_attribute("data-version", "1")
    page.get_by_test_id("roi-stats-open").click()
    stats = page.get_by_test_id("roi-stats")
    ours = stats.locator('[data-testid="roi-stats-row"][data-roi="roi"][data-image="s002.nii"]')
    expect(ours).to_have_count(1)
    expect(stats.get_by_test_id("roi-stats-row")).to_have_count(4)  # one image x four ROIs
    file_id = page.evaluate("() => [...window.noraViewer.items.values()][0].source.fileId")
    answer = client.get(f"{study}/rois/roi/stats", params={"image": file_id})
    assert answer.status_code == 200, answer.text
    theirs = answer.json()[0]
    assert int(ours.get_attribute("data-voxels") or 0) == theirs["voxels"]
    for key in ("mean", "median", "std"):
        assert float(ours.get_attribute(f"data-{key}") or "nan") == pytest.approx(theirs[key], rel=1e-12, abs=1e-9)
    csv = stats.get_by_test_id("roi-stats-body").get_attribute("data-csv") or ""
    assert csv.splitlines()[0].startswith("roi,image,voxels,volume_ml,area_cm2,mean,std,median,p25,p75")
    assert len(csv.splitlines()) == 5
    shot(page, "roi-stats")

    # an operation in the page = the server's on the saved ROI (dilation, two voxels deep)
    page.get_by_test_id("roi-stats").get_by_role("button", name="×").click()
    row(page, "roi").get_by_test_id("roi-op").select_option("dilate")
    row(page, "roi").get_by_test_id("roi-op-amount").fill("2")
    row(page, "roi").get_by_test_id("roi-op-apply").click()
    expect(row(page, "roi")).to_have_attribute("data-dirty", "1")
    ours_dilated = page.evaluate(INSIDE_OF, "roi")
    done = client.post(
        f"{study}/rois/roi/operations", json={"operation": "dilate", "iterations": 2, "output": "dilated"}
    )
    assert done.status_code == 200, done.text
    assert on_disk(server, "SUBJ002", "20230611", "dilated") == ours_dilated
    assert client.delete(f"{study}/rois/dilated").status_code == 204
    for name in ("roi", "bright"):
        assert client.delete(f"{study}/rois/{name}").status_code == 204


def roi_loader(page: Page, server: Server, name: str) -> Locator:
    """Logged in on DEMO with an autoloader of t1_mprage/*.nii and an autocreated ROI ``name``, switched on."""
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("autoloader-button").click()
    panel = page.get_by_test_id("autoloader-panel")
    panel.get_by_test_id("al-add").click()
    panel.get_by_test_id("al-pattern").fill("t1_mprage/*.nii")
    panel.get_by_test_id("al-roi-add").click()
    panel.get_by_test_id("al-roi-pattern").fill(f"ROIS/{name}*")
    panel.get_by_test_id("al-roi-autocreate").check()
    panel.get_by_test_id("al-roi-name").fill(name)
    panel.get_by_test_id("autoload-enabled").check()
    return panel


def test_roi_loader_autocreates_and_saves_on_the_next_case(page: Page, server: Server) -> None:
    panel = roi_loader(page, server, "lesion")
    shot(page, "roi-autoloader-editor")
    panel.get_by_role("button", name="×").first.click()

    open_study(page, "SUBJ002", "20230611")
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    expect(row(page, "lesion")).to_have_attribute("data-voxels", "0")  # autocreated: the case had none
    box = page.get_by_test_id("canvas-0").bounding_box()
    assert box is not None
    stroke(page, box, (0.4, 0.5), (0.6, 0.5))
    wait_voxels(page, "lesion", "n > 0")
    drawn = page.evaluate(INSIDE)

    page.keyboard.press("ArrowDown")  # the next case: the changed ROI is saved first
    expect(page.locator('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20240212"]')).to_have_class(
        re.compile("selected")
    )
    wait_idle(page)
    expect(row(page, "lesion")).to_have_attribute("data-voxels", "0")  # the new case's own, autocreated
    expect(page.get_by_test_id("roi-row")).to_have_count(1)  # the other case's ROI closed
    assert on_disk(server, "SUBJ002", "20230611", "lesion") == drawn

    # "ask first" (the one next-case setting): a click in the table asks too; "stay" keeps the case and
    # the changed ROI; saving goes on to the case, whose saved ROI opens at its version
    page.get_by_test_id("autoloader-button").click()
    panel.get_by_test_id("al-on-next").select_option("ask")
    panel.get_by_role("button", name="×").first.click()
    stroke(page, box, (0.5, 0.4), (0.5, 0.6))
    changed = wait_voxels(page, "lesion", "n > 0")
    earlier = page.locator('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20230611"]')
    earlier.click()
    ask = page.get_by_test_id("next-case-ask")
    expect(ask).to_contain_text("ROI lesion")
    shot(page, "roi-step-ask")
    ask.get_by_test_id("next-case-stay").click()
    expect(ask).to_have_count(0)
    current = page.locator('[data-testid="study-row"][data-pid="SUBJ002"][data-sid="20240212"]')
    expect(current).to_have_class(re.compile("selected"))
    assert voxels(page, "lesion") == changed
    earlier.click()
    ask.get_by_test_id("next-case-save").click()
    expect(earlier).to_have_class(re.compile("selected"))
    wait_idle(page)
    expect(row(page, "lesion")).to_have_attribute("data-version", "1")
    # the saved ROI's voxels arrive after its row: wait for the count the assertion reads
    expect(row(page, "lesion")).to_have_attribute("data-voxels", str(len(drawn)))
    assert (server.home / "projects/DEMO/SUBJ002/20240212/ROIS/lesion.nii.gz").is_file()
    client = api(server)
    for sid in ("20230611", "20240212"):
        assert client.delete(f"/api/projects/DEMO/patients/SUBJ002/studies/{sid}/rois/lesion").status_code == 204
