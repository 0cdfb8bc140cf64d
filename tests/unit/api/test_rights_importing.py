"""Rights matrix of the import routes: zip upload (REST-native and NORA's form), native-PID upload, jobs."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import pytest

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import READ, Case, check_rights, expect
from tests.unit.dicom.support import dicom_file

P = "/api/projects/P1"
QUEUED = expect(401, 404, 403, 202, 202, 202)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.write(dicom_file("CT_small.dcm"), "ct/1.dcm")
    return buffer.getvalue()


def _wait(env: Env, job_id: int) -> dict[str, Any]:
    client = env.client("admin")
    for _ in range(300):
        job = client.get(f"{P}/import/jobs/{job_id}").json()
        if job["state"] in ("d", "e"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError(f"import job {job_id} did not finish")


def _job(env: Env) -> int:
    r = env.client("admin").post(f"{P}/import", files={"file": ("ct.zip", _zip())})
    assert r.status_code == 202, r.text
    job_id = int(r.json()["id"])
    _wait(env, job_id)
    return job_id


def _failed_job(env: Env, role: str) -> int:
    """A failed import job that keeps its upload, as one cut short by a crash is (a refused zip is deleted)."""
    from nora.archive.services.access import SYSTEM, project_access
    from nora.importing import jobs
    from nora.importing.policy import ImportOptions
    from nora.processing.lifecycle import JobPhase, move

    with env.sessions() as s:  # type: ignore[attr-defined]
        spec = {"archive": True, "options": ImportOptions().to_spec(), "remove_source": True, "native": False}
        job = jobs.create_job(s, project_access(s, SYSTEM, "P1"), env.layout, "import ct.zip", spec)
        target = jobs.job_dir(env.layout, job.id) / "upload.zip"
        target.write_bytes(_zip())
        job.spec = {**spec, "source": str(target)}
        move(job, JobPhase.ERROR, message="failed: interrupted (the server stopped during the import)")
        s.commit()
        return int(job.id)


def _legacy(env: Env, role: str) -> dict[str, Any]:
    call: dict[str, Any] = {"cmd": "import"}
    if role != "anonymous":
        call.update(user=role, token=env.tokens[role])
    env.app_client.headers.pop("authorization", None)  # NORA's form authenticates by the token in call
    return {"data": {"call": json.dumps(call)}, "files": {"thefile": ("data.zip", _zip())}}


CASES = [
    Case(
        "POST",
        "/api/projects/{project}/import",
        lambda e, r: f"{P}/import",
        QUEUED,
        lambda e, r: {"files": {"file": ("ct.zip", _zip())}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/import/native",
        lambda e, r: f"{P}/import/native",
        QUEUED,
        lambda e, r: {"files": {"file": ("ct.dcm", dicom_file("CT_small.dcm").read_bytes())}},
    ),
    Case("GET", "/api/projects/{project}/import/jobs", lambda e, r: f"{P}/import/jobs", READ),
    Case("GET", "/api/projects/{project}/import/jobs/{job_id}", lambda e, r: f"{P}/import/jobs/{_job(e)}", READ),
    Case(
        "GET", "/api/projects/{project}/import/jobs/{job_id}/log", lambda e, r: f"{P}/import/jobs/{_job(e)}/log", READ
    ),
    Case(
        "POST",
        "/api/projects/{project}/import/jobs/{job_id}/retry",
        lambda e, r: f"{P}/import/jobs/{_failed_job(e, r)}/retry",
        QUEUED,
    ),
    # NORA's form: no token → 401; a user without a right → 404; read-only → 403
    Case("POST", "/api/import", lambda e, r: "/api/import?project=P1", QUEUED, _legacy),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)
