"""The viewer shows NRRD, MGH/MGZ, TCK, TRK and STL in the right place in world coordinates.

Volumes: nibabel's ``anatomical.nii`` is rewritten with its voxel axes permuted and flipped, as an NRRD in
LPS space (pynrrd) and as an MGZ (nibabel), with affines that keep every voxel at the same world position.
Loaded together with the original, the value the page shows for each image at a clicked point must equal
what nibabel reads at that world position: the same voxels under the crosshair prove the same orientation.
Tracts and meshes: nibabel's ``standard.tck`` / ``standard.trk`` and stl-models' bunny load into a 3D view
without an error, are listed in the viewbar, and niivue's world extents match the files' own coordinates.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nibabel as nib
import nrrd
import numpy as np
import pytest
from nibabel.orientations import axcodes2ornt, ornt_transform
from nibabel.testing import data_path
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, crosshair_moved, shot
from tests.e2e.test_desktop import choose, login
from tests.e2e.test_viewer import LOAD_MS, api, drag_file_to, engine_debug, file_row, items, open_study, wait_idle

pytestmark = pytest.mark.e2e
PROJECT, PID, SID = "FORMATS", "F1", "S1"
DATA = Path(data_path)
STL = Path(__file__).resolve().parents[2] / ".testdata" / "npm" / "node_modules" / "stl-models" / "objects"
RAS2LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def reoriented(img: Any, codes: tuple[str, str, str]) -> Any:
    """The same image with its voxel axes permuted/flipped to ``codes``; every voxel keeps its world position."""
    ornt = ornt_transform(axcodes2ornt(nib.aff2axcodes(img.affine)), axcodes2ornt(codes))
    out = img.as_reoriented(ornt)
    assert nib.aff2axcodes(out.affine) == codes
    return out


def nrrd_bytes(img: Any, folder: Path) -> bytes:
    """An NRRD in LPS space: space directions are the affine's columns, the origin its translation (LPS)."""
    lps = RAS2LPS @ img.affine
    header = {
        "space": "left-posterior-superior",
        "space directions": lps[:3, :3].T,  # one row per voxel axis
        "space origin": lps[:3, 3],
        "kinds": ["domain", "domain", "domain"],
    }
    path = folder / "anat_lps.nrrd"
    nrrd.write(str(path), np.asarray(img.dataobj).astype(np.int16), header)
    return path.read_bytes()


def mgz_bytes(img: Any, folder: Path) -> bytes:
    path = folder / "anat.mgz"
    nib.save(nib.MGHImage(np.asarray(img.dataobj).astype(np.int16), img.affine), path)
    return path.read_bytes()


def stl_vertices(raw: bytes) -> np.ndarray:
    """Vertices of a binary STL (80-byte header, count, 50-byte triangles), read with numpy."""
    (count,) = struct.unpack_from("<I", raw, 80)
    rec = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    tri = np.frombuffer(raw, dtype=rec, count=count, offset=84)
    return tri["v"].reshape(-1, 3).astype(float)


@pytest.fixture(scope="module")
def formats_study(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("formats")
    anat = nib.load(DATA / "anatomical.nii")  # LAS
    as_nrrd = reoriented(anat, ("S", "R", "P"))  # every axis moved, two flipped
    as_mgz = reoriented(anat, ("A", "I", "R"))
    bunny = (STL / "bunny.bin.stl").read_bytes()
    files = {
        "anat/anatomical.nii": (DATA / "anatomical.nii").read_bytes(),
        "anat/anat_lps.nrrd": nrrd_bytes(as_nrrd, folder),
        "anat/anat.mgz": mgz_bytes(as_mgz, folder),
        "tracts/standard.nii.gz": (DATA / "standard.nii.gz").read_bytes(),
        "tracts/standard.tck": (DATA / "standard.tck").read_bytes(),
        "tracts/standard.trk": (DATA / "standard.trk").read_bytes(),
        "mesh/bunny.stl": bunny,
    }
    c = api(server)
    assert c.post("/api/projects", json={"name": PROJECT}).status_code == 201
    assert c.post(f"/api/projects/{PROJECT}/patients", json={"pid": PID}).status_code == 201
    assert c.post(f"/api/projects/{PROJECT}/patients/{PID}/studies", json={"sid": SID}).status_code == 201
    up = c.post(
        f"/api/projects/{PROJECT}/patients/{PID}/studies/{SID}/files",
        files=[("file", (name, raw)) for name, raw in files.items()],
    )
    assert up.status_code == 201, up.text
    # nibabel reads the stored copies back: they are the files the page streams
    stored = server.home / "projects" / PROJECT / PID / SID
    yield {
        "images": {
            "anatomical.nii": nib.load(stored / "anat/anatomical.nii"),
            "anat_lps.nrrd": as_nrrd,
            "anat.mgz": nib.load(stored / "anat/anat.mgz"),
        },
        "nrrd_header": nrrd.read_header(str(stored / "anat/anat_lps.nrrd")),
        "stored": stored,
        "bunny": stl_vertices(bunny),
    }


def shown_values(page: Page) -> dict[str | None, str | None]:
    return {
        v.get_attribute("data-name"): v.get_attribute("data-value") for v in page.get_by_test_id("voxel-value").all()
    }


def nibabel_value(img: Any, mm: list[float]) -> tuple[float, np.ndarray, float]:
    """The value nibabel reads at world position ``mm`` (RAS), the voxel, and how far from a voxel edge."""
    ijk = (np.linalg.inv(img.affine) @ np.array([*mm, 1.0]))[:3]
    vox = np.rint(ijk).astype(int)
    assert all(0 <= v < n for v, n in zip(vox, img.shape[:3], strict=True)), (mm, vox)
    return float(np.asarray(img.dataobj)[tuple(vox)]), vox, float(np.min(np.abs(np.abs(ijk - vox) - 0.5)))


def test_nrrd_and_mgz_voxels_line_up_with_nifti_in_world_space(
    page: Page, server: Server, formats_study: dict[str, Any]
) -> None:
    # the NRRD as written is in LPS with permuted axes: the check below is not a trivial one
    header = formats_study["nrrd_header"]
    assert header["space"] == "left-posterior-superior"
    assert not np.allclose(np.abs(header["space directions"]), np.diag([2.0, 2.0, 2.0]))
    # the stored NRRD holds the reoriented voxels, and its LPS geometry is the reoriented affine
    stored, stored_header = nrrd.read(str(formats_study["stored"] / "anat" / "anat_lps.nrrd"))
    reference = formats_study["images"]["anat_lps.nrrd"]
    assert np.array_equal(stored, np.asarray(reference.dataobj))
    lps = np.eye(4)
    lps[:3, :3] = np.asarray(stored_header["space directions"]).T
    lps[:3, 3] = stored_header["space origin"]
    assert np.allclose(RAS2LPS @ lps, reference.affine)
    login(page, server)
    choose(page, PROJECT)
    open_study(page, PID, SID)
    file_row(page, "anat/anatomical.nii").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    drag_file_to(page, "anat/anat_lps.nrrd", 0, "overlay")
    expect(items(page, 0)).to_have_count(2, timeout=LOAD_MS)
    drag_file_to(page, "anat/anat.mgz", 0, "overlay")
    expect(items(page, 0)).to_have_count(3, timeout=LOAD_MS)
    wait_idle(page)
    expect(page.get_by_test_id("viewer-message")).to_have_count(0)
    assert [i.get_attribute("data-role") for i in items(page, 0).all()] == ["background", "overlay", "overlay"]
    images = formats_study["images"]
    canvas = page.get_by_test_id("canvas-0")
    clicks = [("axial", 0.45, 0.42), ("axial", 0.56, 0.55), ("coronal", 0.47, 0.40), ("sagittal", 0.53, 0.58)]
    checked: list[tuple[float, ...]] = []
    for slicing, fx, fy in clicks:
        if page.get_by_test_id("slice-select-0").input_value() != slicing:
            page.get_by_test_id("slice-select-0").select_option(slicing)
            wait_idle(page)
        cb = canvas.bounding_box()
        assert cb is not None
        before = page.evaluate("() => window.noraViewer.crosshairMM")
        page.mouse.click(cb["x"] + cb["width"] * fx, cb["y"] + cb["height"] * fy)
        mm = crosshair_moved(page, before)
        values = shown_values(page)
        want = {name: nibabel_value(img, mm) for name, img in images.items()}
        if min(edge for _, _, edge in want.values()) < 0.02:
            continue  # on a voxel boundary: rounding could legitimately pick either neighbour
        for name, (value, vox, _) in want.items():
            assert values.get(name) not in (None, ""), (name, values)
            assert float(values[name]) == pytest.approx(value, abs=1e-4), (name, slicing, mm, vox, values)
        checked.append(tuple(want[n][0] for n in images))
        shot(page, f"viewer-formats-nrrd-mgz-{slicing}")
    assert len(checked) >= 3, "too few clicks landed inside a voxel"
    assert len({v[0] for v in checked}) >= 2, f"all clicks read the same value: {checked}"
    # for the eye: each reoriented copy alone, half transparent over the NIfTI (the edges must coincide)
    for shown, hidden in ((1, 2), (2, 1)):
        items(page, 0).nth(hidden).get_by_test_id("vb-visible").click()
        items(page, 0).nth(shown).get_by_test_id("vb-opacity").fill("0.4")
        wait_idle(page)
        shot(page, f"viewer-formats-{'nrrd' if shown == 1 else 'mgz'}-over-nifti")
        items(page, 0).nth(hidden).get_by_test_id("vb-visible").click()


def mesh_extents(page: Page, viewport: int) -> list[dict[str, Any]]:
    """niivue's own world extents of each mesh/tract in a viewport (read from the engine's niivue instance)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """(i) => window.noraViewer.viewports[i].nv.meshes.map((m) => ({
            name: m.name, min: Array.from(m.extentsMin), max: Array.from(m.extentsMax), n: m.pts.length / 3 }))""",
        viewport,
    )


def test_tck_trk_and_stl_in_3d_in_world_space(page: Page, server: Server, formats_study: dict[str, Any]) -> None:
    login(page, server)
    choose(page, PROJECT)
    open_study(page, PID, SID)
    file_row(page, "tracts/standard.nii.gz").dblclick()
    expect(items(page, 0)).to_have_count(1, timeout=LOAD_MS)
    for n, path in enumerate(("tracts/standard.tck", "tracts/standard.trk", "mesh/bunny.stl"), start=2):
        drag_file_to(page, path, 0, "3d")
        expect(items(page, 0)).to_have_count(n, timeout=LOAD_MS)
    wait_idle(page)
    expect(page.get_by_test_id("viewer-message")).to_have_count(0)
    expect(page.get_by_test_id("viewport-0")).to_have_attribute("data-slice", "render")
    listed = {i.get_attribute("data-name"): i.get_attribute("data-role") for i in items(page, 0).all()}
    assert listed == {"standard.nii.gz": "background", "standard.tck": "3d", "standard.trk": "3d", "bunny.stl": "3d"}
    assert engine_debug(page)[0]["meshes"] == 3
    shot(page, "viewer-formats-tracts-stl-3d")
    extents = {m["name"]: m for m in mesh_extents(page, 0)}
    stored = formats_study["stored"]
    for name in ("standard.tck", "standard.trk"):
        pts = nib.streamlines.load(stored / "tracts" / name).streamlines.get_data()  # RAS+ mm
        got = extents[name]
        assert got["min"] == pytest.approx(pts.min(0).tolist(), abs=1e-3), name
        assert got["max"] == pytest.approx(pts.max(0).tolist(), abs=1e-3), name
    bunny = formats_study["bunny"]
    assert extents["bunny.stl"]["min"] == pytest.approx(bunny.min(0).tolist(), abs=1e-3)
    assert extents["bunny.stl"]["max"] == pytest.approx(bunny.max(0).tolist(), abs=1e-3)
