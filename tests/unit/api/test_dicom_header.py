"""The DICOM header viewer's route: a DICOM file's own header, a converted image's kept originals and
JSON sidecar, and the notes when something is missing."""

from __future__ import annotations

import json
from pathlib import Path

from pydicom.data import get_testdata_file

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import NIFTI

P = "/api/projects/P1"
S = f"{P}/patients/PAT1/studies/20240101"
MR = Path(str(get_testdata_file("MR_small.dcm"))).read_bytes()
CT = Path(str(get_testdata_file("CT_small.dcm"))).read_bytes()


def _upload(env: Env, *files: tuple[str, bytes]) -> dict[str, int]:
    r = env.client("user").post(f"{S}/files", files=[("file", f) for f in files])
    assert r.status_code == 201, r.text
    return {f["path"]: f["id"] for f in r.json()}


def _by_keyword(body: dict[str, object]) -> dict[str, dict[str, object]]:
    return {e["keyword"]: e for e in body["elements"]}  # type: ignore[attr-defined,index]


def test_a_dicom_file_shows_its_own_header(env: Env) -> None:
    ids = _upload(env, ("dcm/mr.dcm", MR))
    r = env.client("readonly").get(f"{P}/files/{ids['dcm/mr.dcm']}/dicom-header")
    assert r.status_code == 200, r.text
    body = r.json()
    elements = _by_keyword(body)
    assert elements["PatientName"]["tag"] == "0010,0010" and elements["PatientName"]["vr"] == "PN"
    assert elements["Modality"]["value"] == "MR"
    assert elements["TransferSyntaxUID"]["tag"] == "0002,0010"  # file meta information first
    assert "PixelData" not in elements
    assert body["instances"] == ["dcm/mr.dcm"] and body["index"] == 0 and body["sidecar"] is None


def test_a_converted_image_shows_its_kept_originals_and_sidecar(env: Env) -> None:
    sidecar = {"Modality": "CT", "SeriesDescription": "head", "EchoTime": 0.01}
    ids = _upload(
        env,
        ("conv/s003.nii", NIFTI),
        ("conv/s003.json", json.dumps(sidecar).encode()),
        ("conv/s003_dicom/1.dcm", CT),
        ("conv/s003_dicom/2.dcm", MR),
    )
    c = env.client("user")
    body = c.get(f"{P}/files/{ids['conv/s003.nii']}/dicom-header").json()
    assert body["instances"] == ["conv/s003_dicom/1.dcm", "conv/s003_dicom/2.dcm"]
    assert _by_keyword(body)["Modality"]["value"] == "CT"
    assert body["sidecar_path"] == "conv/s003.json" and body["sidecar"] == sidecar
    second = c.get(f"{P}/files/{ids['conv/s003.nii']}/dicom-header?index=1").json()
    assert second["index"] == 1 and _by_keyword(second)["Modality"]["value"] == "MR"
    bad = c.get(f"{P}/files/{ids['conv/s003.nii']}/dicom-header?index=2")
    assert bad.status_code == 400 and "0 to 1" in bad.json()["detail"]


def test_an_image_without_originals_says_so(env: Env) -> None:
    ids = _upload(env, ("plain/t1.nii", NIFTI))
    body = env.client("user").get(f"{P}/files/{ids['plain/t1.nii']}/dicom-header").json()
    assert body["elements"] == [] and body["instances"] == [] and body["sidecar"] is None
    assert "plain/t1_dicom/" in body["note"] and "keep_originals" in body["note"]
