"""Import jobs: rows of the ``jobs`` table (kind ``import``) with progress, a message and a log file.

State ``q`` queued, ``r`` running, ``e`` error, ``d`` done; the table's ``JOB:`` filter and job counts read
them. A job's folder is ``<NORA_HOME>/jobs/<id>/`` (``log.txt``, ``report.json``, an uploaded archive,
the staging area and the placement journal). :func:`recover_interrupted` runs at start-up: a job left
``r`` by a process that died is rolled back (journal) and marked ``e`` with a message; it can be retried.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.models import Job, utcnow
from nora.archive.services import audit
from nora.archive.services.access import Access, Actor, project_access
from nora.archive.storage import Layout, atomic_write_json
from nora.core.errors import InvalidInput, NotFound
from nora.importing.placement import roll_back_journal

log = logging.getLogger(__name__)

KIND = "import"
INTERRUPTED = "interrupted: the server stopped during the import; nothing of the unfinished study was stored"


def job_dir(layout: Layout, job_id: int) -> Path:
    return layout.home / "jobs" / str(int(job_id))


def create_job(session: Session, access: Access, layout: Layout, name: str, spec: dict[str, Any]) -> Job:
    """A queued import job in ``access``'s project, with its folder."""
    access.require_write()
    job = Job(
        project_id=access.project.id,
        user_id=access.actor.user_id,
        name=name[:255],
        kind=KIND,
        # the processing engine schedules by ``phase``; import jobs are run by the importer, not by it
        phase=KIND,
        state="q",
        spec=spec,
        message="queued",
    )
    session.add(job)
    session.flush()
    folder = job_dir(layout, job.id)
    folder.mkdir(parents=True, exist_ok=True)
    job.log_path = str(folder / "log.txt")
    audit.record(session, access.actor, "import.job", project=access.project.name, target=str(job.id), name=name)
    return job


def get_job(session: Session, access: Access, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.project_id != access.project.id or job.kind != KIND:
        raise NotFound(f"import job {job_id} not found in project {access.project.name!r}")
    return job


def list_jobs(session: Session, access: Access, limit: int = 50) -> list[Job]:
    query = select(Job).where(Job.project_id == access.project.id, Job.kind == KIND).order_by(Job.id.desc())
    return list(session.scalars(query.limit(max(1, min(limit, 500)))))


def read_log(job: Job, max_bytes: int = 1 << 20) -> str:
    path = Path(job.log_path) if job.log_path else None
    if path is None or not path.is_file():
        return ""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - max_bytes))
        return fh.read().decode("utf-8", "replace")


def read_report(layout: Layout, job: Job) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((job_dir(layout, job.id) / "report.json").read_text())
    except (OSError, ValueError):
        return None
    return data


class Tracker:
    """Writes a job's log and (at most every half second) its progress and message."""

    def __init__(self, sessions: sessionmaker[Session], layout: Layout, job_id: int) -> None:
        self.sessions, self.layout, self.job_id = sessions, layout, job_id
        self.folder = job_dir(layout, job_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._last = 0.0

    def log(self, message: str) -> None:
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with self._lock, open(self.folder / "log.txt", "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {message}\n")

    def update(
        self,
        *,
        state: str | None = None,
        progress: float | None = None,
        message: str | None = None,
        force: bool = False,
        **links: int | None,
    ) -> None:
        now = time.monotonic()
        if not force and state is None and now - self._last < 0.5:
            return
        self._last = now
        with transaction(self.sessions) as session:
            job = session.get(Job, self.job_id)
            if job is None:
                return
            if state is not None:
                job.state = state
                if state == "r":  # who runs it, so start-up recovery leaves live jobs alone
                    job.spec = {**job.spec, "runner": {"host": socket.gethostname(), "pid": os.getpid()}}
            if progress is not None:
                job.progress = max(0.0, min(1.0, progress))
            if message is not None:
                job.message = message[:4000]
            for key, value in links.items():
                if value is not None and getattr(job, key) is None:
                    setattr(job, key, value)
            job.log_path = str(self.folder / "log.txt")
            job.updated_at = utcnow()

    def save_report(self, report: dict[str, Any]) -> None:
        atomic_write_json(self.folder / "report.json", report)


def recover_interrupted(sessions: sessionmaker[Session], layout: Layout) -> list[int]:
    """Mark import jobs left running by a dead process as failed, after rolling back their journal."""
    recovered = []
    with transaction(sessions) as session:
        for job in session.scalars(select(Job).where(Job.kind == KIND, Job.state == "r")):
            if _alive(job.spec.get("runner")):
                continue
            folder = job_dir(layout, job.id)
            removed = roll_back_journal(session, layout, folder)
            shutil.rmtree(folder / "work", ignore_errors=True)
            job.state, job.message, job.updated_at = "e", INTERRUPTED, utcnow()
            Tracker(sessions, layout, job.id).log(f"{INTERRUPTED} (removed {len(removed)} unregistered files)")
            recovered.append(job.id)
    if recovered:
        log.warning("import jobs %s were interrupted and are marked as failed", recovered)
    return recovered


def _alive(runner: Any) -> bool:
    """Whether the process that runs a job is alive on this host (other hosts' jobs are theirs to recover)."""
    if not isinstance(runner, dict):
        return False
    if runner.get("host") != socket.gethostname():
        return True
    pid = int(runner.get("pid") or 0)
    if pid <= 0 or pid == os.getpid():
        return False  # our own process just started: a job recorded under our pid is a dead predecessor's
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_retry(session: Session, actor: Actor, layout: Layout, project: str, job_id: int) -> Job:
    """Re-queue a failed import job whose source is still there."""
    access = project_access(session, actor, project)
    access.require_write()
    job = get_job(session, access, job_id)
    if job.state != "e":
        raise InvalidInput(f"import job {job_id} is {job.state!r}; only failed jobs ('e') can be retried")
    source = Path(str(job.spec.get("source", "")))
    if not source.exists():
        raise InvalidInput(f"import job {job_id} cannot be retried: its source {source} is gone; import again")
    job.state, job.progress, job.message, job.updated_at = "q", 0.0, "queued (retry)", utcnow()
    audit.record(session, actor, "import.retry", project=project, target=str(job_id))
    return job
