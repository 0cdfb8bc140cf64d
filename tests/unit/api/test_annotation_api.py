"""ROIs and marker sets through the REST API: save, versions, conflicts, restore, operations, statistics."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from nibabel.testing import data_path

from tests.unit.api.conftest import Env

P = "/api/projects/P1"
S = f"{P}/patients/PAT1/studies/20240101"
IMAGE = nib.load(Path(data_path) / "anatomical.nii")
AFFINE = IMAGE.affine
SHAPE = IMAGE.shape  # (33, 41, 25)


def nifti(mask: np.ndarray[Any, Any], affine: np.ndarray[Any, Any] = AFFINE, *, gz: bool = True) -> bytes:
    raw = nib.Nifti1Image(mask.astype(np.uint8), affine).to_bytes()
    return gzip.compress(raw) if gz else raw


def box(lo: int = 10, hi: int = 20) -> np.ndarray[Any, Any]:
    m = np.zeros(SHAPE, dtype=np.uint8)
    m[lo:hi, lo:hi, 5:15] = 1
    return m


def image_id(env: Env) -> int:
    files = env.client("admin").get(f"{S}/files").json()
    return int(next(f["id"] for f in files if f["path"] == "t1_mprage/s002.nii"))


def put_roi(env: Env, name: str, body: bytes, *, base: int = 0, role: str = "user", ref: int | None = None) -> Any:
    ref = image_id(env) if ref is None else ref
    return env.client(role).put(
        f"{S}/rois/{name}",
        content=body,
        params={"reference": ref, "base": base},
        headers={"content-type": "application/octet-stream"},
    )


def decoded(content: bytes) -> nib.Nifti1Image:
    return nib.Nifti1Image.from_bytes(gzip.decompress(content))


def test_save_roi_stores_nifti_and_sidecar_indexed_in_rois(env: Env) -> None:
    r = put_roi(env, "lesion", nifti(box(), gz=False))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["path"] == "ROIS/lesion.nii.gz" and out["current"] == 1 and out["reference"] == "t1_mprage/s002.nii"
    assert out["voxels"] == 1000 and out["volume_ml"] == pytest.approx(8.0) and out["matrix"] == list(SHAPE)
    assert out["centre"] == pytest.approx(list((AFFINE @ [14.5, 14.5, 9.5, 1])[:3]))
    paths = {f["path"]: f for f in env.client("user").get(f"{S}/files").json()}
    assert {"ROIS/lesion.nii.gz", "ROIS/lesion.json"} <= set(paths)
    assert paths["ROIS/lesion.nii.gz"]["format"] == "nifti"
    img = decoded(env.client("user").get(out["url"]).content)
    assert img.get_data_dtype() == np.uint8 and np.array_equal(np.asarray(img.dataobj), box())
    assert np.allclose(img.affine, AFFINE)
    side = env.client("user").get(paths["ROIS/lesion.json"]["url"]).json()
    assert side["reference"] == "t1_mprage/s002.nii" and side["creator"] == "user" and side["tool"] == "roitool"
    listed = env.client("readonly").get(f"{S}/rois").json()
    assert [x["name"] for x in listed] == ["lesion"]
    log = env.client("admin").get("/api/admin/audit?project=P1").json()
    assert any(e["action"] == "roi.save" and e["target"] == "ROIS/lesion.nii.gz" for e in log)


def test_every_save_is_a_version_and_a_stale_save_is_a_conflict_kept_as_a_version(env: Env) -> None:
    assert put_roi(env, "a", nifti(box())).status_code == 200
    assert put_roi(env, "a", nifti(box(12, 20)), base=1).status_code == 200
    stale = put_roi(env, "a", nifti(box(0, 5)), base=1, role="projadmin")
    assert stale.status_code == 409 and "kept as version 3" in stale.json()["detail"]
    roi = env.client("user").get(f"{S}/rois/a").json()
    assert roi["current"] == 2 and roi["voxels"] == 8 * 8 * 10  # the file holds version 2, not the stale one
    versions = env.client("user").get(f"{P}/annotations/{roi['id']}/versions").json()
    assert [(v["number"], v["based_on"], v["rejected"], v["saved_by"]) for v in versions] == [
        (1, 0, False, "user"),
        (2, 1, False, "user"),
        (3, 1, True, "projadmin"),
    ]
    kept = decoded(env.client("user").get(versions[2]["url"]).content)
    assert np.array_equal(np.asarray(kept.dataobj), box(0, 5))
    again = put_roi(env, "a", nifti(box()), base=0)
    assert again.status_code == 409 and "already exists" in again.json()["detail"]
    restored = env.client("user").post(f"{P}/annotations/{roi['id']}/versions/1/restore", json={"base": 2})
    assert restored.status_code == 200, restored.text
    assert restored.json()["current"] == 4
    assert env.client("user").get(f"{S}/rois/a").json()["voxels"] == 1000


def test_two_simultaneous_saves_from_the_same_version_one_wins(env: Env) -> None:
    assert put_roi(env, "race", nifti(box())).status_code == 200
    ref = image_id(env)
    statuses: list[int] = []

    def save(role: str, lo: int) -> None:
        from fastapi.testclient import TestClient

        client = TestClient(env.app_client.app)
        client.headers["authorization"] = f"Bearer {env.tokens[role]}"
        r = client.put(
            f"{S}/rois/race",
            content=nifti(box(lo)),
            params={"reference": ref, "base": 1},
            headers={"content-type": "application/octet-stream"},
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=save, args=(role, lo)) for role, lo in (("user", 11), ("projadmin", 12))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    roi = env.client("user").get(f"{S}/rois/race").json()
    versions = env.client("user").get(f"{P}/annotations/{roi['id']}/versions").json()
    assert len(versions) == 3 and sum(v["rejected"] for v in versions) == 1 and roi["current"] in (2, 3)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not a nifti at all", "not a readable NIfTI"),
        (b"\x1f\x8b\x08garbage", "gzip"),
        (nifti(np.zeros((5, 5, 5), dtype=np.uint8)), "not the grid of its reference"),
        (nifti(box(), AFFINE @ np.diag([1.0, 1.0, 1.5, 1.0])), "not the grid of its reference"),
        (nifti(np.zeros((4, 4, 4, 2), dtype=np.uint8)), "3D mask"),
        (b"", "no body"),
    ],
    # ids by hand: a gzipped body holds its creation time, so two xdist workers would collect other ids
    ids=["not-nifti", "bad-gzip", "other-shape", "other-spacing", "4d", "empty"],
)
def test_bad_rois_are_refused_and_nothing_is_stored(env: Env, body: bytes, fragment: str) -> None:
    r = put_roi(env, "bad", body)
    assert r.status_code == 400, r.text
    assert fragment in r.json()["detail"]
    assert env.client("user").get(f"{S}/rois").json() == []
    assert not any(f["path"].startswith("ROIS/") for f in env.client("user").get(f"{S}/files").json())


def test_a_decompression_bomb_is_refused(env: Env) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024**2), compresslevel=9)  # 64 MB of zeros in 64 kB; the grid has 34k voxels
    r = put_roi(env, "bomb", bomb)
    assert r.status_code == 400 and "more than" in r.json()["detail"]


def test_unsafe_names_rights_and_foreign_references(env: Env) -> None:
    assert put_roi(env, ".hidden", nifti(box())).status_code == 400
    assert put_roi(env, "a b", nifti(box())).status_code == 400
    assert put_roi(env, "x", nifti(box()), role="readonly").status_code == 403
    env.client("admin").post(f"{P}/patients", json={"pid": "OTHER1"})
    env.client("admin").post(f"{P}/patients/OTHER1/studies", json={"sid": "S1"})
    raw = (Path(data_path) / "anatomical.nii").read_bytes()
    other = env.client("admin").post(f"{P}/patients/OTHER1/studies/S1/files", files={"file": ("a.nii", raw)}).json()
    r = put_roi(env, "x", nifti(box()), ref=other[0]["id"])
    assert r.status_code == 400 and "another patient" in r.json()["detail"]


def test_a_2d_roi_is_one_slice_of_the_reference_grid(env: Env) -> None:
    m = np.zeros((SHAPE[0], SHAPE[1], 1), dtype=np.uint8)
    m[5:15, 5:15, 0] = 1
    slice_affine = AFFINE.copy()
    slice_affine[:3, 3] = (AFFINE @ [0, 0, 7, 1])[:3]
    r = put_roi(env, "flat", nifti(m, slice_affine))
    assert r.status_code == 200, r.text
    assert r.json()["is_2d"] and r.json()["voxels"] == 100
    stats = env.client("user").get(f"{S}/rois/flat/stats", params={"image": image_id(env)}).json()
    data = np.asarray(IMAGE.dataobj, dtype=np.float64)
    assert stats[0]["area_cm2"] == pytest.approx(100 * 4 / 100)
    assert stats[0]["mean"] == pytest.approx(data[5:15, 5:15, 7].mean())
    off_grid = slice_affine.copy()
    off_grid[:3, 3] += [0, 0, 0.7]
    assert put_roi(env, "flat2", nifti(m, off_grid)).status_code == 400


def test_operations_on_the_server_save_new_versions_or_new_rois(env: Env) -> None:
    assert put_roi(env, "a", nifti(box())).status_code == 200
    assert put_roi(env, "b", nifti(box(15, 25))).status_code == 200
    dil = env.client("user").post(f"{S}/rois/a/operations", json={"operation": "dilate", "base": 1})
    assert dil.status_code == 200, dil.text
    assert dil.json()["current"] == 2 and dil.json()["voxels"] == 1000 + 2 * (100 + 100 + 100)
    union = env.client("user").post(
        f"{S}/rois/a/operations", json={"operation": "difference", "other": "b", "output": "a_minus_b"}
    )
    assert union.status_code == 200, union.text
    assert union.json()["name"] == "a_minus_b" and union.json()["current"] == 1
    stale = env.client("user").post(f"{S}/rois/a/operations", json={"operation": "erode", "base": 1})
    assert stale.status_code == 409
    missing = env.client("user").post(f"{S}/rois/a/operations", json={"operation": "union"})
    assert missing.status_code == 400 and "second ROI" in missing.json()["detail"]
    assert env.client("user").post(f"{S}/rois/a/operations", json={"operation": "melt"}).status_code == 422
    assert (
        env.client("readonly").post(f"{S}/rois/a/operations", json={"operation": "erode", "base": 2}).status_code == 403
    )


def test_stats_match_numpy_on_the_same_roi(env: Env) -> None:
    assert put_roi(env, "a", nifti(box())).status_code == 200
    rows = env.client("readonly").get(f"{S}/rois/a/stats", params={"image": image_id(env)}).json()
    vals = np.asarray(IMAGE.dataobj, dtype=np.float64)[box().astype(bool)]
    (row,) = rows
    assert row["roi"] == "a" and row["image"] == "t1_mprage/s002.nii" and row["voxels"] == 1000
    assert row["median"] == pytest.approx(np.median(vals)) and row["p25"] == pytest.approx(np.percentile(vals, 25))
    assert row["mean"] == pytest.approx(vals.mean()) and row["std"] == pytest.approx(vals.std())
    assert row["volume_ml"] == pytest.approx(8.0) and row["area_cm2"] is None


def test_delete_keeps_versions_and_restore_brings_it_back(env: Env) -> None:
    roi = put_roi(env, "gone", nifti(box())).json()
    assert env.client("user").delete(f"{S}/rois/gone").status_code == 204
    paths = [f["path"] for f in env.client("user").get(f"{S}/files").json()]
    assert "ROIS/gone.nii.gz" not in paths and "ROIS/gone.json" not in paths
    assert env.client("user").get(f"{S}/rois/gone").json()["file_id"] is None
    back = env.client("user").post(f"{P}/annotations/{roi['id']}/versions/1/restore", json={"base": 0})
    assert back.status_code == 200, back.text
    assert env.client("user").get(f"{S}/rois/gone").json()["voxels"] == 1000


def test_version_download_needs_the_download_right(env: Env) -> None:
    roi = put_roi(env, "d", nifti(box())).json()
    url = f"{P}/annotations/{roi['id']}/versions/1/content"
    assert env.client("readonly").get(url).status_code == 200
    assert env.client("readonly").get(url, params={"download": True}).status_code == 403
    r = env.client("user").get(url, params={"download": True})
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")


MARKERS = {
    "type": "pointset",
    "name": "landmarks",
    "color": "#ff0000",
    "size": 4,
    "points": [{"name": "AC", "x": 0.5, "y": 2.0, "z": -3.0}, {"name": "PC", "x": 0.0, "y": -24.0, "z": -2.0}],
}


def test_marker_sets_are_versioned_json_in_the_patients_annotations_folder(env: Env) -> None:
    c = env.client("user")
    r = c.put(f"{P}/patients/PAT1/markers/landmarks", json=MARKERS)
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "annotations/landmarks.json" and r.json()["current"] == 1
    files = c.get(f"{P}/patients/PAT1/files").json()
    (f,) = [f for f in files if f["path"] == "annotations/landmarks.json"]
    doc = c.get(f["url"]).json()
    assert doc["format"] == "nora.markers/1" and doc["points"][1] == {"name": "PC", "x": 0.0, "y": -24.0, "z": -2.0}
    moved = {**MARKERS, "points": MARKERS["points"][:1]}
    assert c.put(f"{P}/patients/PAT1/markers/landmarks", json=moved, params={"base": 1}).status_code == 200
    assert c.put(f"{P}/patients/PAT1/markers/landmarks", json=moved, params={"base": 1}).status_code == 409
    got = env.client("readonly").get(f"{P}/patients/PAT1/markers/landmarks").json()
    assert got["current"] == 2 and len(got["markers"]["points"]) == 1
    assert [m["name"] for m in env.client("user").get(f"{P}/patients/PAT1/markers").json()] == ["landmarks"]
    freeline = {**MARKERS, "type": "freeline", "name": "path1"}
    r = env.client("user").put(f"{P}/patients/PAT1/markers/path1", json=freeline)
    assert r.status_code == 200, r.text
    assert r.json()["markers"]["type"] == "freeline"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"color": "red"}, 422),
        ({"points": [{"name": "x", "x": "nan", "y": 0, "z": 0}]}, 422),
        ({"points": [{"x": 1, "y": 2}]}, 422),
        ({"type": "polygon"}, 422),
        ({"name": "other"}, 400),
        ({"extra": 1}, 422),
    ],
)
def test_bad_marker_sets_are_refused(env: Env, change: dict[str, Any], status: int) -> None:
    r = env.client("user").put(f"{P}/patients/PAT1/markers/landmarks", json={**MARKERS, **change})
    assert r.status_code == status, r.text
    assert env.client("user").get(f"{P}/patients/PAT1/markers").json() == []


def test_readers_see_annotations_but_cannot_save(env: Env) -> None:
    assert env.client("user").put(f"{P}/patients/PAT1/markers/landmarks", json=MARKERS).status_code == 200
    assert (
        env.client("readonly").put(f"{P}/patients/PAT1/markers/landmarks", json=MARKERS, params={"base": 1}).status_code
        == 403
    )
    assert env.client("readonly").delete(f"{P}/patients/PAT1/markers/landmarks").status_code == 403
    assert env.client("readonly").get(f"{P}/patients/PAT1/markers/landmarks").status_code == 200
