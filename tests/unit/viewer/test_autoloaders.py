"""Autoloader presets: validation, personal and shared storage, resolving a case, snapshots."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from nibabel.testing import data_path

from nora.archive.selection import PatientIds, StudyIds, SubjectSelector
from nora.archive.services import nodes, tags
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.services.files import Upload, store_uploads
from nora.core.errors import InvalidInput
from nora.viewer import autoloaders
from tests.unit.api.conftest import Env

P = "/api/projects/P1/viewer"
NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()


def _add_studies(env: Env) -> None:
    """Two more studies with differently numbered T1 files and a tagged mask, as real projects have."""
    with env.sessions() as s:  # type: ignore[operator]
        access = project_access(s, SYSTEM, "P1")
        for pid, sid, series in (("PAT2", "20240202", 7), ("PAT3", "20240303", 11)):
            patient = nodes.create_patient(s, access, env.layout, pid)
            study = nodes.create_study(s, access, env.layout, patient, sid)
            rows = store_uploads(
                s,
                access,
                env.layout,
                patient,
                study,
                [Upload(f"t1_mprage/s{series:03d}.nii", io.BytesIO(NIFTI)), Upload("seg/mask.nii", io.BytesIO(NIFTI))],
            )
            tags.change_file_tags(s, access, [r.id for r in rows if r.path.startswith("seg/")], add=["brainmask"])
        s.commit()


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"loaders": [{"pattern": "t1* NTH(x)"}]}, "NTH"),
        ({"loaders": [{"pattern": "[info]"}]}, "[info]"),
        ({"loaders": [{"pattern": "ABS:/etc/passwd"}]}, "ABS:"),
        ({"loaders": [{"pattern": "x", "viewports": [99]}]}, "viewport IDs"),
        ({"layout": "1x2", "loaders": [{"pattern": "x", "viewports": [3]}]}, "names viewport"),
        ({"loaders": [{"pattern": "x", "intent": {"cal_min": 5, "cal_max": 1}}]}, "cal_min"),
        ({"loaders": [{"pattern": "x", "intent": {"colormap": "../evil"}}]}, "colormap"),
        ({"level": "series"}, "level"),
        ({"unknown": 1}, "unknown"),
        ({"annotations": [{"name": "../x"}]}, "marker set name"),
        ({"annotations": [{"name": "lm", "color": "red"}]}, "color"),
        ({"annotations": [{"name": "lm", "type": "polygon"}]}, "type"),
        ({"annotations": [{"name": "lm", "size": 0}]}, "size"),
        ({"on_next_case": "discard"}, "on_next_case"),
        ({"rois": [{"pattern": "ABS:/etc"}]}, "ABS:"),
        ({"rois": [{"colour": "red"}]}, "#rrggbb"),
        ({"rois": [{"name": "../x"}]}, "ROI name"),
        ({"roi_save": "never"}, "roi_save"),
    ],
)
def test_invalid_presets_are_refused_with_the_reason(raw: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput) as info:
        autoloaders.validate(raw)
    assert words in info.value.message


def test_annotation_loaders_round_trip_with_their_defaults(env: Env) -> None:
    preset = {"annotations": [{"name": "landmarks", "type": "freeline", "color": "#00ff00"}], "on_next_case": "ask"}
    user = env.client("user")
    assert user.put(f"{P}/autoloaders/mark", json=preset).status_code == 200
    (got,) = [p for p in user.get(f"{P}/autoloaders").json() if p["name"] == "mark"]
    assert got["definition"]["annotations"] == [
        {"name": "landmarks", "type": "freeline", "color": "#00ff00", "size": 3.0, "enabled": True}
    ]
    assert got["definition"]["on_next_case"] == "ask"
    assert got["definition"]["loaders"] == []


def test_case_selector_follows_the_level_and_selects_by_id() -> None:
    assert autoloaders.case_selector("study", 1, 2) == SubjectSelector((StudyIds((2,)),))
    assert autoloaders.case_selector("patient", 1, 2) == SubjectSelector((PatientIds((1,)),))
    assert autoloaders.case_selector("either", 1, None) == SubjectSelector((PatientIds((1,)),))
    with pytest.raises(InvalidInput):
        autoloaders.case_selector("study", 1, None)


def test_personal_and_shared_presets(env: Env) -> None:
    preset = {"layout": "1x2", "loaders": [{"pattern": "t1_mprage/*.nii", "viewports": [0, 1]}]}
    user = env.client("user")
    assert user.put(f"{P}/autoloaders/qc", json=preset).status_code == 200
    assert user.put(f"{P}/autoloaders/team?shared=true", json=preset).status_code == 200
    reader = env.client("readonly")
    names = {(p["name"], p["shared"]) for p in reader.get(f"{P}/autoloaders").json()}
    assert names == {("team", True)}, "a personal preset is its owner's only"
    r = reader.put(f"{P}/autoloaders/team2?shared=true", json=preset)
    assert r.status_code == 403 and "read-only" in r.json()["detail"]
    assert reader.put(f"{P}/autoloaders/team?shared=false", json=preset).status_code == 200
    mine = [p for p in reader.get(f"{P}/autoloaders").json() if p["mine"]]
    assert [p["name"] for p in mine] == ["team"]
    # someone else's shared preset cannot be overwritten or deleted by a plain user
    r = env.client("projadmin").put(f"{P}/autoloaders/team?shared=true", json={"loaders": []})
    assert r.status_code == 200, "project admins may overwrite shared presets"
    r = env.client("user").delete(f"{P}/autoloaders/team?shared=true")
    assert r.status_code == 204
    assert env.client("user").delete(f"{P}/autoloaders/team?shared=true").status_code == 404


def test_bad_bodies_store_nothing(env: Env) -> None:
    user = env.client("user")
    r = user.put(f"{P}/autoloaders/bad", json={"loaders": [{"pattern": "tag:"}]})
    assert r.status_code in (400, 422) and r.json()["detail"]
    r = user.put(f"{P}/autoloaders/bad name!", json={"loaders": []})
    assert r.status_code == 400 and "preset name" in r.json()["detail"]
    assert user.get(f"{P}/autoloaders").json() == []


def test_resolve_walks_cases_and_reports_missing_files(env: Env) -> None:
    _add_studies(env)
    definition = {
        "level": "study",
        "layout": "1x2",
        "loaders": [
            {"pattern": "t1_mprage/*.nii", "viewports": [0]},
            {"pattern": "tag:brainmask", "viewports": [0, 1], "intent": {"role": "overlay", "colormap": "red"}},
            {"pattern": "never/*.nii", "viewports": [1]},
            {"pattern": "t1_mprage/*.nii", "viewports": [1], "enabled": False},
        ],
    }
    user = env.client("user")
    got = {}
    for pid, sid in (("PAT1", "20240101"), ("PAT2", "20240202"), ("PAT3", "20240303")):
        r = user.post(f"{P}/autoload", json={"definition": definition, "pid": pid, "sid": sid})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [lf["index"] for lf in body["loaders"]] == [0, 1, 2], "disabled loaders do not run"
        got[pid] = [[f["path"] for f in lf["files"]] for lf in body["loaders"]]
        assert all(f["pid"] == pid and f["sid"] == sid for lf in body["loaders"] for f in lf["files"])
    assert got["PAT1"] == [["t1_mprage/s002.nii"], [], []]
    assert got["PAT2"] == [["t1_mprage/s007.nii"], ["seg/mask.nii"], []]
    assert got["PAT3"] == [["t1_mprage/s011.nii"], ["seg/mask.nii"], []]
    r = user.post(f"{P}/autoload", json={"definition": definition, "pid": "NOPE", "sid": "1"})
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    r = user.post(f"{P}/autoload", json={"definition": definition, "pid": "PAT1"})
    assert r.status_code == 400 and "study level" in r.json()["detail"]


def test_roi_loaders_find_each_study_s_roi_files(env: Env) -> None:
    _add_studies(env)
    with env.sessions() as s:  # type: ignore[operator]
        access = project_access(s, SYSTEM, "P1")
        patient = nodes.get_patient(s, access, "PAT2")
        study = nodes.get_study(s, access, "PAT2", "20240202")
        store_uploads(s, access, env.layout, patient, study, [Upload("ROIS/lesion.nii.gz", io.BytesIO(NIFTI))])
        s.commit()
    definition = {
        "loaders": [{"pattern": "t1_mprage/*.nii"}],
        "rois": [
            {"pattern": "ROIS/lesion*", "colour": "#00FF00", "autocreate": True, "name": "lesion"},
            {"pattern": "ROIS/*", "enabled": False},
        ],
        "on_next_case": "ask",
    }
    user = env.client("user")
    got = {}
    for pid, sid in (("PAT2", "20240202"), ("PAT3", "20240303")):
        r = user.post(f"{P}/autoload", json={"definition": definition, "pid": pid, "sid": sid})
        assert r.status_code == 200, r.text
        got[pid] = [(rl["index"], [f["path"] for f in rl["files"]]) for rl in r.json()["rois"]]
    assert got == {"PAT2": [(0, ["ROIS/lesion.nii.gz"])], "PAT3": [(0, [])]}
    saved = user.put(f"{P}/autoloaders/rois", json=definition)
    assert saved.status_code == 200, saved.text
    back = saved.json()["definition"]
    assert back["rois"][0]["colour"] == "#00ff00" and back["on_next_case"] == "ask"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"roi_save": "ask"}, "ask"),
        ({"roi_save": "save"}, "save"),
        ({"roi_save": "ask", "on_next_case": "save"}, "ask"),  # either asked: the page asks
        ({"roi_save": "save", "on_next_case": "ask"}, "ask"),
    ],
)
def test_the_old_roi_save_key_is_read_into_the_one_next_case_setting(raw: dict[str, object], expected: str) -> None:
    preset = autoloaders.validate(raw)
    assert preset.on_next_case == expected
    assert "roi_save" not in preset.model_dump()


def test_snapshot_modes(env: Env) -> None:
    _add_studies(env)
    user = env.client("user")
    files = user.get("/api/projects/P1/patients/PAT2/studies/20240202/files").json()
    ids = [f["id"] for f in sorted(files, key=lambda f: f["path"])]  # seg/mask.nii, t1_mprage/s007.nii

    def snap(mode: str) -> list[str]:
        r = user.post(f"{P}/autoloaders/snapshot", json={"mode": mode, "file_ids": ids})
        assert r.status_code == 200, r.text
        return list(r.json())

    assert snap("strict") == ["seg/mask.nii", "t1_mprage/s007.nii"]
    assert snap("smart") == ["seg/mask.nii", "t1_mprage/s*.nii"]
    assert snap("tag") == ["tag:brainmask", "t1_mprage/s*.nii"]
    r = user.post(f"{P}/autoloaders/snapshot", json={"mode": "smart", "file_ids": [999999]})
    assert r.status_code == 404


def test_a_case_loads_only_its_own_files_beside_a_patient_differing_in_case(env: Env) -> None:
    """``PAT1`` and ``pat1`` are two patients: each case's autoloader finds exactly its own files."""
    with env.sessions() as s:  # type: ignore[operator]
        access = project_access(s, SYSTEM, "P1")
        patient = nodes.create_patient(s, access, env.layout, "pat1")
        study = nodes.create_study(s, access, env.layout, patient, "20240101")
        store_uploads(s, access, env.layout, patient, study, [Upload("t1_mprage/s099.nii", io.BytesIO(NIFTI))])
        s.commit()
    user = env.client("user")
    found = {}
    for level, pid, sid in (("study", "PAT1", "20240101"), ("study", "pat1", "20240101"), ("patient", "PAT1", None)):
        definition = {"level": level, "loaders": [{"pattern": "t1_mprage/*.nii"}]}
        r = user.post(f"{P}/autoload", json={"definition": definition, "pid": pid, "sid": sid})
        assert r.status_code == 200, r.text
        found[level, pid] = [(f["pid"], f["path"]) for f in r.json()["loaders"][0]["files"]]
    assert found["study", "PAT1"] == [("PAT1", "t1_mprage/s002.nii")]
    assert found["study", "pat1"] == [("pat1", "t1_mprage/s099.nii")]
    assert found["patient", "PAT1"] == [("PAT1", "t1_mprage/s002.nii")]
