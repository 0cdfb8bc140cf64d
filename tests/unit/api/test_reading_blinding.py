"""A blind reading with ``restrictToReading`` on the server: its readers reach their cases through the
reading's routes and nothing else of the project (the table, tags, metadata, other patients' files)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from nibabel.testing import data_path

from nora.archive.services import nodes
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.services.files import Upload, store_uploads
from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import MARKERS, box, nifti

P = "/api/projects/P1"
B = f"{P}/readings/B"
PAT1 = f"{P}/patients/PAT1/studies/20240101"
PAT2 = f"{P}/patients/PAT2/studies/20240202"
FORM = {"items": [{"type": "radio", "name": "q", "options": [{"value": "a"}, {"value": "b"}]}]}
AUTOLOADER = {"layout": "single", "loaders": [{"pattern": "t1*/*.nii*", "viewports": [0]}]}


def blind_reading(
    env: Env,
    *,
    readers: list[str],
    tools: dict[str, Any] | None = None,
    restrict: bool = True,
    form: dict[str, Any] | None = None,
    blind: dict[str, Any] | None = None,
    name: str = "B",
    second_patient: bool = True,
) -> None:
    """Reading B of PAT1 alone (PAT2 is no case), blind; a second patient PAT2 with the same image."""
    if second_patient:
        with env.sessions() as s:  # type: ignore[attr-defined]
            access = project_access(s, SYSTEM, "P1")
            patient = nodes.create_patient(s, access, env.layout, "PAT2")
            study = nodes.create_study(s, access, env.layout, patient, "20240202")
            raw = (Path(data_path) / "anatomical.nii").read_bytes()
            store_uploads(s, access, env.layout, patient, study, [Upload("t1_mprage/s002.nii", io.BytesIO(raw))])
            s.commit()
    definition = {
        "general": {"readers": readers},
        "form": form or FORM,
        "reading": {
            "reading": {
                "mode": "blind",
                "blind": {"restrictToReading": restrict, **(blind or {})},
                "mode_serious": {"SQLCondition": "PID = 'PAT1'"},
                "mode_training": {"SQLCondition": "PID = 'PAT1'"},
            },
            "tools": tools or {},
            "viewer": {"autoloader": AUTOLOADER},
        },
    }
    r = env.client("admin").post(f"{P}/readings", json={"name": name, "definition": definition})
    assert r.status_code == 201, r.text


def file_id(env: Env, study: str) -> int:
    return int(env.client("admin").get(f"{study}/files").json()[0]["id"])


def refused(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert "blind reading 'B'" in response.json()["detail"] and "restricts its readers" in response.json()["detail"]


def test_a_confined_reader_reaches_only_the_reading_and_their_cases(env: Env) -> None:
    blind_reading(env, readers=["user", "readonly"])
    own, other = file_id(env, PAT1), file_id(env, PAT2)
    for url in (f"{P}/studies", f"{P}/patients", f"{P}/files", f"{P}/tags", f"{PAT1}/meta", f"{PAT2}/files",
                f"{P}/patients/PAT1/meta", f"{P}/files/{own}/dicom-header", f"{P}/trash", f"{P}/rights"):  # fmt: skip
        refused(env.client("user").get(url))
    refused(env.client("user").post(f"{PAT1}/tags", json={"add": ["x"]}))
    refused(env.client("readonly").get(f"{P}/studies"))
    call = {"pid": "PAT2", "sid": "20240202", "token": env.tokens["user"]}  # a URL call is no way round
    refused(env.client("anonymous").post("/api/viewer/urlcall", json={"project": "P1", "call": call}))
    # the reading, its case's images and annotations: yes; another patient's: no
    stage = env.client("user").get(f"{B}/stages/serious")
    assert stage.status_code == 200, stage.text
    assert stage.json()["slots"][0]["label"] == "Case 1"
    given = env.client("user").post(
        f"{B}/stages/serious/answers", json={"pid": "PAT1", "sid": "20240101", "answers": {"q": "a"}}
    )
    assert given.status_code == 201, given.text
    assert env.client("user").get(P).status_code == 200
    assert env.client("user").get(f"{P}/files/{own}/content").status_code == 200
    assert [f["id"] for f in env.client("user").get(f"{PAT1}/files").json()] == [own]
    refused(env.client("user").get(f"{P}/files/{other}/content"))
    assert env.client("user").get(f"{P}/viewer/files/{own}/content").status_code == 200
    refused(env.client("user").get(f"{P}/viewer/files/{other}/content"))
    refused(env.client("user").get(f"{P}/viewer/files/{other}/series.nii.gz"))
    found = env.client("user").post(
        f"{P}/viewer/autoload", json={"definition": AUTOLOADER, "pid": "PAT1", "sid": "20240101"}
    )
    assert found.status_code == 200 and found.json()["loaders"][0]["files"][0]["id"] == own
    refused(
        env.client("user").post(
            f"{P}/viewer/autoload", json={"definition": AUTOLOADER, "pid": "PAT2", "sid": "20240202"}
        )
    )
    refused(env.client("user").post(f"{P}/viewer/autoload", json={"definition": AUTOLOADER, "pid": "PAT2"}))
    assert env.client("user").get(f"{PAT1}/rois").status_code == 200
    refused(env.client("user").get(f"{PAT2}/rois"))
    assert env.client("user").get(f"{P}/patients/PAT1/markers").status_code == 200
    refused(env.client("user").get(f"{P}/patients/PAT2/markers"))
    refused(env.client("user").get(f"{P}/patients/NOPE/markers"))
    # the reading's admins and project admins are not confined
    assert env.client("projadmin").get(f"{P}/studies").status_code == 200
    assert env.client("admin").get(f"{P}/files/{other}/content").status_code == 200


@pytest.mark.parametrize("readers", [["projadmin"], []])
def test_who_is_not_confined(env: Env, readers: list[str]) -> None:
    """Not a reader of it (readers: projadmin only): the table stays open; every user reads it (empty readers)."""
    blind_reading(env, readers=readers)
    status = env.client("user").get(f"{P}/studies").status_code
    assert status == (200 if readers else 403)
    assert env.client("projadmin").get(f"{P}/studies").status_code == 200


def test_a_blind_reading_without_restriction_leaves_the_table_open(env: Env) -> None:
    blind_reading(env, readers=["user"], restrict=False)
    assert env.client("user").get(f"{P}/studies").status_code == 200


def test_the_reading_tools_decide_which_annotations_a_confined_reader_saves(env: Env) -> None:
    blind_reading(env, readers=["user"], tools={"roi": False, "markers": True})
    headers = {"content-type": "application/octet-stream"}
    ref = {"reference": file_id(env, PAT1)}  # before the calls: env.client switches the one client's caller
    r = env.client("user").put(f"{PAT1}/rois/lesion", content=nifti(box()), params=ref, headers=headers)
    assert r.status_code == 403 and "does not offer its readers the roi tool" in r.json()["detail"], r.text
    assert env.client("user").get(f"{PAT1}/rois").json() == []
    r = env.client("user").put(f"{P}/patients/PAT1/markers/landmarks", json=MARKERS)
    assert r.status_code == 200, r.text
    # an admin is not bound by the reading's tools
    r = env.client("admin").put(f"{PAT1}/rois/lesion", content=nifti(box()), params=ref, headers=headers)
    assert r.status_code == 200, r.text
    object_id = r.json()["id"]
    assert env.client("user").get(f"{P}/annotations/{object_id}/versions").status_code == 200
    refused_save = env.client("user").post(f"{P}/annotations/{object_id}/versions/1/restore")
    assert refused_save.status_code == 403 and "roi tool" in refused_save.json()["detail"]


def test_a_confined_reader_never_sees_another_readers_roi(env: Env) -> None:
    form = {"items": [{"type": "roi", "name": "lesion"}, {"type": "markers", "name": "marks"}]}
    blind_reading(env, readers=["user", "projadmin"], form=form)
    headers = {"content-type": "application/octet-stream"}
    ref = {"reference": file_id(env, PAT1)}
    for role in ("user", "projadmin"):
        r = env.client(role).put(f"{PAT1}/rois/lesion_{role}", content=nifti(box()), params=ref, headers=headers)
        assert r.status_code == 200, r.text
        r = env.client(role).put(f"{P}/patients/PAT1/markers/marks_{role}", json={**MARKERS, "name": f"marks_{role}"})
        assert r.status_code == 200, r.text
    theirs = env.client("projadmin").get(f"{PAT1}/rois/lesion_projadmin").json()
    assert sorted(x["name"] for x in env.client("projadmin").get(f"{PAT1}/rois").json()) == [
        "lesion_projadmin",
        "lesion_user",
    ]
    assert [x["name"] for x in env.client("user").get(f"{PAT1}/rois").json()] == ["lesion_user"]
    assert [x["name"] for x in env.client("user").get(f"{P}/patients/PAT1/markers").json()] == ["marks_user"]
    assert env.client("user").get(f"{PAT1}/rois/lesion_user").status_code == 200
    refused(env.client("user").get(f"{PAT1}/rois/lesion_projadmin"))
    refused(env.client("user").get(f"{P}/patients/PAT1/markers/marks_projadmin"))
    refused(env.client("user").get(f"{P}/files/{theirs['file_id']}/content"))
    refused(env.client("user").get(f"{P}/annotations/{theirs['id']}/versions"))
    every_roi = {**AUTOLOADER, "rois": [{"pattern": "ROIS/*.nii.gz"}]}
    body = {"definition": every_roi, "pid": "PAT1", "sid": "20240101"}
    rois = env.client("user").post(f"{P}/viewer/autoload", json=body).json()["rois"][0]["files"]
    assert [f["path"] for f in rois] == ["ROIS/lesion_user.nii.gz"]
    mine = env.client("user").get(f"{PAT1}/rois/lesion_user").json()
    assert env.client("user").get(f"{P}/files/{mine['file_id']}/content").status_code == 200
