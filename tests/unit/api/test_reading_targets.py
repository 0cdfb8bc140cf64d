"""A form's ``roi`` and ``markers`` items: each reader's own targets open through the autoloader's ROI and
annotation loaders, the saved version is attached to the answer, and the analysis compares readers' ROIs."""

from __future__ import annotations

from typing import Any

from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import AFFINE, MARKERS, box, nifti, put_roi

P = "/api/projects/P1"
R = f"{P}/readings/T"
SERIOUS = f"{R}/stages/serious"
CASE = {"pid": "PAT1", "sid": "20240101"}
AUTOLOADER = {"layout": "single", "loaders": [{"pattern": "t1*/*.nii*", "viewports": [0]}]}
DEFINITION: dict[str, Any] = {
    "form": {
        "items": [
            {"type": "roi", "name": "lesion", "required": True, "colour": "#00ff00"},
            {"type": "markers", "name": "marks", "markers": "landmarks", "markerType": "pointset"},
        ]
    },
    "reading": {"reading": {"mode_serious": {}}, "viewer": {"autoloader": AUTOLOADER}},
}


def answer(env: Env, role: str, answers: dict[str, Any]) -> Any:
    return env.client(role).post(f"{SERIOUS}/answers", json={**CASE, "answers": answers})


def test_roi_and_marker_items_attach_the_readers_own_saved_versions(env: Env) -> None:
    r = env.client("admin").post(f"{P}/readings", json={"name": "T", "definition": DEFINITION})
    assert r.status_code == 201, r.text
    viewer = env.client("user").get(SERIOUS).json()["viewer"]["autoloader"]
    assert viewer["rois"] == [
        {"pattern": "ROIS/lesion_user.nii.gz", "colour": "#00ff00", "autocreate": True, "name": "lesion_user",
         "enabled": True}
    ]  # fmt: skip
    assert [(a["name"], a["type"]) for a in viewer["annotations"]] == [("landmarks_user", "pointset")]
    theirs = env.client("projadmin").get(SERIOUS).json()["viewer"]["autoloader"]["rois"][0]["name"]
    assert theirs == "lesion_projadmin"
    # nothing saved yet: attaching says what to do, and nothing is stored
    r = answer(env, "user", {"lesion": True})
    assert r.status_code == 400 and "save ROIS/lesion_user.nii.gz in the ROI tool first" in r.json()["detail"]
    assert env.client("user").get(f"{SERIOUS}/answers", params=CASE).json()["answers"] == {}
    r = answer(env, "user", {"lesion": "ROIS/someone_else.nii.gz@1"})
    assert r.status_code == 400, r.text  # only the caller's own target can be attached
    assert put_roi(env, "lesion_user", nifti(box(10, 20))).status_code == 200
    r = answer(env, "user", {"lesion": True})
    assert r.status_code == 201 and r.json()["answers"] == {"lesion": "ROIS/lesion_user.nii.gz@1"}, r.text
    assert r.json()["done"] is True
    assert put_roi(env, "lesion_user", nifti(box(11, 20)), base=1).status_code == 200  # a later save: v2
    assert env.client("user").get(f"{SERIOUS}/answers", params=CASE).json()["answers"]["lesion"].endswith("@1")
    assert answer(env, "user", {"lesion": True}).json()["answers"]["lesion"] == "ROIS/lesion_user.nii.gz@2"
    r = env.client("user").put(f"{P}/patients/PAT1/markers/landmarks_user", json={**MARKERS, "name": "landmarks_user"})
    assert r.status_code == 200, r.text
    assert answer(env, "user", {"marks": True}).json()["answers"]["marks"] == "annotations/landmarks_user.json@1"
    assert answer(env, "user", {"marks": None}).json()["answers"]["marks"] == ""  # taken back


def test_the_analysis_has_dice_and_hd95_of_the_readers_rois(env: Env) -> None:
    from nora.reading.analysis.masks import hausdorff95

    env.client("admin").post(f"{P}/readings", json={"name": "T", "definition": DEFINITION})
    for role, lo in (("user", 10), ("projadmin", 12), ("admin", 10)):
        assert put_roi(env, f"lesion_{role}", nifti(box(lo, lo + 10)), role=role).status_code == 200
        assert answer(env, role, {"lesion": True}).status_code == 201
    r = env.client("projadmin").post(f"{R}/analysis", json={})
    assert r.status_code == 200, r.text
    (item,) = r.json()["rois"]
    assert (item["item"], item["arm"], item["notes"]) == ("lesion", "serious", [])
    pairs = {tuple(p["raters"]): p for p in item["pairs"]}
    # two 10x10x10 boxes shifted by 2 voxels in x and y: overlap 8x8x10, Dice 2*640/2000
    assert pairs[("admin", "projadmin")]["dice_mean"] == 0.64
    assert pairs[("admin", "user")]["dice_mean"] == 1.0 and pairs[("admin", "user")]["hd95_mean"] == 0.0
    expected = hausdorff95(box(10, 20) > 0, box(12, 22) > 0, AFFINE)
    assert pairs[("projadmin", "user")]["hd95_mean"] == expected and expected > 0
    # a reference reader: each reader against it only
    r = env.client("projadmin").post(f"{R}/analysis", json={"reference_reader": "user"})
    assert sorted(tuple(p["raters"]) for p in r.json()["rois"][0]["pairs"]) == [
        ("user", "admin"),
        ("user", "projadmin"),
    ]


def put_markers(env: Env, role: str, points: list[tuple[str, float, float, float]]) -> None:
    doc = {**MARKERS, "name": f"landmarks_{role}", "points": [dict(zip(("name", "x", "y", "z"), p)) for p in points]}
    r = env.client(role).put(f"{P}/patients/PAT1/markers/landmarks_{role}", json=doc)
    assert r.status_code == 200, r.text
    assert answer(env, role, {"marks": True}).status_code == 201


def test_the_analysis_matches_the_readers_markers_within_the_tolerance(env: Env) -> None:
    env.client("admin").post(f"{P}/readings", json={"name": "T", "definition": DEFINITION})
    put_markers(env, "user", [("AC", 0.0, 0.0, 0.0), ("PC", 0.0, -24.0, 0.0)])
    put_markers(env, "projadmin", [("PC", 3.0, 4.0, 0.0), ("AC", 0.0, -25.0, 0.0), ("X", 60.0, 0.0, 0.0)])
    put_markers(env, "admin", [])  # attached, with no findings
    r = env.client("projadmin").post(f"{R}/analysis", json={})
    assert r.status_code == 200, r.text
    (item,) = r.json()["markers"]
    assert (item["item"], item["arm"], item["tolerance_mm"], item["notes"]) == ("marks", "serious", 5.0, [])
    pairs = {tuple(p["raters"]): p for p in item["pairs"]}
    # projadmin against user: (3, 4, 0) is exactly 5 mm from the origin, (0, -25, 0) 1 mm from (0, -24, 0)
    p = pairs[("projadmin", "user")]
    assert (p["n"], p["n_a"], p["n_b"], p["matched"]) == (1, 3, 2, 2)
    assert (p["sensitivity"], p["precision"], p["f1"], p["mean_mm"], p["max_mm"]) == (2 / 3, 1.0, 0.8, 3.0, 5.0)
    assert [(m["a_name"], m["b_name"]) for m in p["cases"][0]["matches"]] == [("PC", "AC"), ("AC", "PC")]
    assert pairs[("admin", "user")]["matched"] == 0 and pairs[("admin", "user")]["sensitivity"] is None
    # against a reference reader, by label (AC and PC are 25 mm from their namesakes) or a tighter tolerance
    body: dict[str, Any] = {"reference_reader": "user", "markers_by_label": True}
    r = env.client("projadmin").post(f"{R}/analysis", json=body)
    pairs = {tuple(p["raters"]): p for p in r.json()["markers"][0]["pairs"]}
    assert sorted(pairs) == [("user", "admin"), ("user", "projadmin")]
    assert (pairs[("user", "projadmin")]["matched"], pairs[("user", "admin")]["sensitivity"]) == (0, 0.0)
    r = env.client("projadmin").post(f"{R}/analysis", json={"reference_reader": "user", "marker_tolerance_mm": 4.9})
    assert r.json()["markers"][0]["pairs"][1]["matched"] == 1
    r = env.client("projadmin").post(f"{R}/analysis", json={"marker_tolerance_mm": 0})
    assert r.status_code == 422, r.text
    assert env.client("user").post(f"{R}/analysis", json={}).status_code == 403
