"""The segmentation assistant in the ROI tool: a click on a real image grows the ROI (the built-in backend
on the server), a negative click takes its voxel out, the assistant's undo and the ROI's Ctrl+Z give the
earlier results back, a box in the same session, Reset, an error shown in the tool, and Accept + the ROI
tool's Save store exactly the page's voxels; unsaved content painted with another pen is where the next
step starts; a patchwork model's proposal as the start."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_roi_tool import INSIDE, on_disk, open_image, row, stroke, voxels, wait_voxels
from tests.e2e.test_viewer import LOAD_MS, api, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e

PID, SID, IMAGE = "SUBJ002", "20240212", "t1_mprage/s002.nii"
NAME = "assisted"

SESSION = (
    "async () => { const c = window.noraRois.assistant; await c.idle(); const s = c.open.session;"
    " const r = await fetch(`/api/projects/DEMO/assistant/sessions/${s.id}`); return await r.json(); }"
)


def idle(page: Page) -> None:
    """Wait until every interaction sent has been answered (the busy indicator is gone)."""
    page.evaluate("() => window.noraRois.assistant.idle()")
    expect(page.get_by_test_id("assistant")).to_have_attribute("data-busy", "0")


def click(page: Page, box: Any, at: tuple[float, float], button: str = "left") -> None:
    page.mouse.click(box["x"] + box["width"] * at[0], box["y"] + box["height"] * at[1], button=button)  # type: ignore[arg-type]


def voxel_of(session: dict[str, Any], world: list[float]) -> int:
    """The NIfTI-order index (i fastest) of a world point on the session's grid (the ROI's bitmap)."""
    inv = np.linalg.inv(np.asarray(session["affine"], dtype=np.float64))
    i, j, k = (int(v) for v in np.rint(inv[:3, :3] @ np.asarray(world) + inv[:3, 3]))
    ni, nj, _ = session["matrix"]
    return i + ni * (j + nj * k)


def box_slice(session: dict[str, Any], inside: list[int]) -> tuple[int, int]:
    """How many result voxels lie on the slice of the session's box (its second interaction), and how many
    of those inside the box (a positive box says the rest of its slice is not the structure)."""
    item = session["history"][1]
    normal = {"sagittal": 0, "coronal": 1, "axial": 2}[item["plane"]]
    corners = np.asarray(item["corners"], dtype=np.float64)
    ni, nj, _ = session["matrix"]
    flat = np.asarray(inside)
    ijk = np.stack([flat % ni, (flat // ni) % nj, flat // (ni * nj)], axis=1)
    affine = np.asarray(session["affine"], dtype=np.float64)
    world = ijk @ affine[:3, :3].T + affine[:3, 3]
    half = 0.5 * float(np.abs(affine[normal, :3]).max())
    on = np.abs(world[:, normal] - corners[0, normal]) <= half + 1e-6
    axes = [a for a in range(3) if a != normal]
    lo, hi = corners[:, axes].min(axis=0), corners[:, axes].max(axis=0)
    inside_box = np.all((world[on][:, axes] >= lo - 1e-6) & (world[on][:, axes] <= hi + 1e-6), axis=1)
    return int(on.sum()), int(inside_box.sum())


def test_points_undo_box_reset_accept_and_save(page: Page, server: Server) -> None:
    box = open_image(page, server, PID, SID, IMAGE)
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    # a name of its own: ROI versions outlive a delete, and the ROI tool's test saves its "roi" in this study
    page.evaluate(f"() => {{ const t = window.noraRois; t.ws.setLook(t.ws.current.id, {{ name: '{NAME}' }}); }}")
    expect(row(page, NAME)).to_have_count(1)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("w")  # the assistant pen on the current ROI
    expect(page.get_by_test_id("roi-pen-kind")).to_have_value("assistant")
    expect(page.get_by_test_id("assistant-mode-point")).to_be_checked()

    # a positive click: the server segments around it and the result lands in the ROI
    click(page, box, (0.5, 0.5))
    grown = wait_voxels(page, NAME, "n > 20")
    idle(page)
    expect(page.get_by_test_id("assistant-count")).to_contain_text("1 interaction · builtin")
    first = page.evaluate(INSIDE)
    session = page.evaluate(SESSION)
    positive = session["history"][0]["points"][0]
    assert voxel_of(session, positive) in set(first), "the clicked voxel is part of the result"
    shot(page, "assistant-positive-click")

    # a negative click inside the result, away from the first: that voxel leaves the ROI
    click(page, box, (0.35, 0.75), button="right")
    expect(page.get_by_test_id("assistant-count")).to_contain_text("2 interactions")
    idle(page)
    session = page.evaluate(SESSION)
    negative = session["history"][1]["points"][0]
    assert session["history"][1]["positive"] == [False]
    after = set(page.evaluate(INSIDE))
    assert voxel_of(session, negative) not in after
    assert voxel_of(session, positive) in after
    assert len(after) < grown
    shot(page, "assistant-negative-click")

    # the assistant's undo (the ROI's undo of that step, the server's too) gives the first result back;
    # Ctrl+Shift+Z sends the negative click again and Ctrl+Z takes it back again: one session throughout
    opened = session["id"]
    page.get_by_test_id("assistant-undo").click()
    wait_voxels(page, NAME, f"n === {grown}")
    idle(page)
    assert page.evaluate(INSIDE) == first
    expect(page.get_by_test_id("assistant-count")).to_contain_text("1 interaction ")
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("Control+Shift+z")
    wait_voxels(page, NAME, f"n === {len(after)}")
    idle(page)
    expect(page.get_by_test_id("assistant-count")).to_contain_text("2 interactions")
    page.keyboard.press("Control+z")
    wait_voxels(page, NAME, f"n === {grown}")
    idle(page)
    expect(page.get_by_test_id("assistant-count")).to_contain_text("1 interaction ")

    # a box on the slice in the same session: on its slice the result keeps to the box
    page.get_by_test_id("assistant-mode-box").check()
    stroke(page, box, (0.3, 0.3), (0.42, 0.42))
    expect(page.get_by_test_id("assistant-count")).to_contain_text("2 interactions")
    idle(page)
    session = page.evaluate(SESSION)
    assert session["history"][1]["kind"] == "box" and session["history"][1]["positive"] is True
    assert session["history"][1]["plane"] in ("axial", "coronal", "sagittal")
    on_slice, in_box = box_slice(session, page.evaluate(INSIDE))
    assert on_slice > 0 and in_box == on_slice, "on the box's slice the result lies inside the box"
    assert session["id"] == opened, "after Ctrl+Z the next interaction goes on in the same session"
    shot(page, "assistant-box")

    # another ROI has its own session; back on the first, its interactions go on
    page.get_by_test_id("roi-new").click()
    expect(page.get_by_test_id("assistant-count")).to_contain_text("0 interactions")
    page.get_by_test_id("assistant-mode-point").check()
    click(page, box, (0.5, 0.5))
    wait_voxels(page, "roi", "n > 20")
    idle(page)
    expect(page.get_by_test_id("assistant-count")).to_contain_text("1 interaction ")
    row(page, NAME).get_by_test_id("roi-current").check()
    expect(page.get_by_test_id("assistant-count")).to_contain_text("2 interactions")
    assert page.evaluate("() => window.noraRois.assistant.sessionRois.length") == 2

    # N: the next (negative) click changes the ROI on its own slice only
    held = set(page.evaluate(INSIDE))
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("n")
    expect(page.get_by_test_id("assistant-slices")).to_have_attribute("data-armed", "slice")
    click(page, box, (0.5, 0.5), button="right")
    expect(page.get_by_test_id("assistant-count")).to_contain_text("3 interactions")
    idle(page)
    expect(page.get_by_test_id("assistant-slices")).to_have_attribute("data-armed", "")
    session = page.evaluate(SESSION)
    assert session["id"] == opened and session["history"][2]["slices"]["to"] is None
    changed = held ^ set(page.evaluate(INSIDE))
    assert changed, "the negative click took voxels out"
    plane = session["history"][2]["slices"]["plane"]
    normal = {"sagittal": 0, "coronal": 1, "axial": 2}[plane]
    level = session["history"][2]["points"][0][normal]
    ni, nj, _ = session["matrix"]
    affine = np.asarray(session["affine"], dtype=np.float64)
    flat = np.asarray(sorted(changed))
    ijk = np.stack([flat % ni, (flat // ni) % nj, flat // (ni * nj)], axis=1)
    along = (ijk @ affine[:3, :3].T + affine[:3, 3])[:, normal]
    assert np.all(np.abs(along - level) <= 0.5 * np.abs(affine[normal, :3]).max() + 1e-6), "one slice changed"
    shot(page, "assistant-slice-only")

    # a lasso of one point is refused in the tool, where the user drew it; nothing was sent
    page.get_by_test_id("assistant-mode-lasso").check()
    click(page, box, (0.6, 0.6))
    expect(page.get_by_test_id("assistant-error")).to_contain_text("at least 3 points")
    shot(page, "assistant-error")
    expect(page.get_by_test_id("assistant-count")).to_contain_text("3 interactions")

    # Reset: every interaction is forgotten, the ROI is empty (one undoable step)
    page.get_by_test_id("assistant-reset").click()
    wait_voxels(page, NAME, "n === 0")
    idle(page)
    expect(page.get_by_test_id("assistant-count")).to_contain_text("0 interactions")

    # a new click, Accept (Enter) and the ROI tool's Save: the server's ROI holds exactly the page's voxels
    page.get_by_test_id("assistant-mode-point").check()
    click(page, box, (0.5, 0.5))
    wait_voxels(page, NAME, "n > 20")
    idle(page)
    mine = page.evaluate(INSIDE)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("assistant-note")).to_contain_text("accepted")
    row(page, NAME).get_by_test_id("roi-save").click()
    expect(row(page, NAME)).to_have_attribute("data-dirty", "0")
    assert on_disk(server, PID, SID, NAME) == mine
    assert voxels(page, NAME) == len(mine)

    # unsaved content painted with the plain pen: the next assistant step starts from the ROI as it is
    page.get_by_test_id("roi-pen-kind").select_option("paint")
    stroke(page, box, (0.2, 0.2), (0.3, 0.2))
    painted = set(page.evaluate(INSIDE))
    assert painted > set(mine)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.keyboard.press("w")
    click(page, box, (0.7, 0.8))
    expect(page.get_by_test_id("assistant-count")).to_contain_text("2 interactions")  # the ROI's content + the click
    idle(page)
    session = page.evaluate(SESSION)
    assert session["history"][0]["kind"] == "mask" and session["history"][0]["packed"]["data"] == ""
    assert painted <= set(page.evaluate(INSIDE)), "the painted voxels are kept"
    assert api(server).delete(f"/api/projects/DEMO/patients/{PID}/studies/{SID}/rois/{NAME}").status_code == 204


def train_model(server: Server, folder: Path) -> np.ndarray[Any, Any]:
    """A tiny patchwork model trained here on the study's image (its brighter voxels as the label), saved
    into the project's analysis folder; what the Apply Patchwork job's code makes of the image."""
    import torch

    from nora.segmentation.modelfile import PatchworkParams
    from nora.segmentation.patchwork import data, infer, train

    torch.set_num_threads(1)
    image = str(server.home / "projects/DEMO" / PID / SID / IMAGE)
    values = np.asarray(nib.load(image).dataobj, dtype=np.float32)
    label = folder.parent / "bright.nii.gz"
    folder.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image((values > np.percentile(values, 70)).astype(np.uint8), nib.load(image).affine), label)
    subject = data.load_subject([image], [str(label)], name=f"{PID}#{SID}")
    tiny = {"depth": 2, "patch": 16, "voxel_mm": 2.0, "batch": 2, "features": 4, "learning_rate": 0.01, "seed": 0}
    params = PatchworkParams(iterations=40, epoch=20, foreground=0.5, **tiny)  # type: ignore[arg-type]
    doc = train.new_doc("bright", ["t1*"], ["bright*"], params, [subject], [subject], creator="admin")
    train.train(doc, [subject], [subject], folder, say=lambda _t: None)
    doc, net = infer.load(folder)
    prob = infer.predict(net, doc, data.load_subject([image]))[0]
    return np.asarray(prob >= 0.5)


def test_a_patchwork_model_proposes_the_start_and_reset_goes_back_to_it(page: Page, server: Server) -> None:
    folder = server.home / "analyses" / "DEMO" / "models" / "assist"
    want = train_model(server, folder)
    proposal = sorted(int(i) for i in np.flatnonzero(want.ravel(order="F")))  # NIfTI order, as the page's bitmap
    assert len(proposal) > 100
    try:
        box = open_image(page, server, PID, SID, IMAGE)
        page.keyboard.press("d")
        page.get_by_test_id("roi-new").click()
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.keyboard.press("w")
        models = page.get_by_test_id("assistant-model")
        expect(models.locator("option", has_text="bright v")).to_have_count(1)
        labels = models.locator("option").all_inner_texts()
        models.select_option(label=next(t for t in labels if t.startswith("bright")))
        # the model runs on the server (a child process) and its proposal lands in the ROI
        wait_voxels(page, "roi", f"n === {len(proposal)}")
        idle(page)
        assert page.evaluate(INSIDE) == proposal
        expect(page.get_by_test_id("assistant-count")).to_contain_text("0 interactions · patchwork")
        shot(page, "assistant-model-proposal")
        click(page, box, (0.35, 0.75), button="right")  # on the proposal (the white matter there)
        expect(page.get_by_test_id("assistant-count")).to_contain_text("1 interaction")
        idle(page)
        session = page.evaluate(SESSION)
        assert session["model"] is not None and session["backend"] == "patchwork"
        refined = page.evaluate(INSIDE)
        assert voxel_of(session, session["history"][0]["points"][0]) in set(proposal)
        assert voxel_of(session, session["history"][0]["points"][0]) not in set(refined)
        page.get_by_test_id("assistant-reset").click()
        expect(page.get_by_test_id("assistant-count")).to_contain_text("0 interactions")
        idle(page)
        assert page.evaluate(INSIDE) == proposal, "Reset goes back to the model's proposal"
    finally:
        shutil.rmtree(folder.parent)


def test_a_point_in_the_axial_view_and_a_box_in_the_coronal_view_refine_one_result(page: Page, server: Server) -> None:
    login(page, server)
    choose(page, "DEMO")
    page.get_by_test_id("layout-select").select_option("mpr")
    open_study(page, PID, SID)
    file_row(page, IMAGE).dblclick()
    for i in range(3):
        expect(items(page, i)).to_have_count(1, timeout=LOAD_MS)
    wait_idle(page)
    axial, coronal = (page.get_by_test_id(f"canvas-{i}").bounding_box() for i in (0, 1))
    assert axial is not None and coronal is not None
    page.keyboard.press("d")
    page.get_by_test_id("roi-new").click()
    page.mouse.move(axial["x"] + 5, axial["y"] + 5)
    page.keyboard.press("w")
    click(page, axial, (0.5, 0.5))
    grown = wait_voxels(page, "roi", "n > 20")
    idle(page)
    page.get_by_test_id("assistant-mode-box").check()
    page.get_by_test_id("assistant-minus").click()
    stroke(page, coronal, (0.3, 0.3), (0.7, 0.45))
    expect(page.get_by_test_id("assistant-count")).to_contain_text("2 interactions")
    idle(page)
    session = page.evaluate(SESSION)
    assert [h["kind"] for h in session["history"]] == ["points", "box"]
    assert session["history"][1]["plane"] == "coronal" and session["history"][1]["positive"] is False
    after = page.evaluate(INSIDE)
    assert 0 < len(after) < grown, "the coronal box took part of the axial click's result away"
    on_slice, in_box = box_slice(session, after)
    assert in_box == 0, "nothing of the result is left inside the negative box on its slice"
    shot(page, "assistant-two-planes")
