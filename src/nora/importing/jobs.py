"""Import jobs: rows of the ``jobs`` table (kind ``import``) with progress, a message and a log file.

Their phases are those of every job (:mod:`nora.processing.lifecycle`): queued, running (claimed by the
engine's worker pool, or by the process that imports in the foreground), done or error; ``state`` (``q``,
``r``, ``e``, ``d``) follows. A job's folder is ``<NORA_HOME>/jobs/<id>/`` (``log.txt``, ``report.json``,
an uploaded archive, the staging area and the placement journal). After a restart the engine hands a job
left running by a process that died to :func:`roll_back` (its journal) and marks it failed with a
message; it can be retried.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.models import utcnow
from nora.archive.services import audit
from nora.archive.services.access import Access, Actor, project_access
from nora.archive.storage import Layout, atomic_write_json
from nora.core.errors import InvalidInput, NotFound
from nora.core.process import ProcessId
from nora.importing.fragments import settle_asides
from nora.importing.placement import read_journal, roll_back_journal
from nora.processing.lifecycle import IllegalTransition, JobPhase, advance, initial, move
from nora.processing.models import Job

log = logging.getLogger(__name__)

KIND = "import"
INTERRUPTED = "interrupted: the server stopped during the import; nothing of the unfinished study was stored"


def job_dir(layout: Layout, job_id: int) -> Path:
    return layout.home / "jobs" / str(int(job_id))


def create_job(
    session: Session, access: Access, layout: Layout, name: str, spec: dict[str, Any], *, run_here: bool = False
) -> Job:
    """A queued import job in ``access``'s project, with its folder; with ``run_here`` the job is created
    claimed by this process (an import run in the foreground), so the engine never takes it."""
    access.require_write()
    job = Job(
        project_id=access.project.id,
        user_id=access.actor.user_id,
        name=name[:255],
        kind=KIND,
        **initial(),
        spec=spec,
        message="queued",
    )
    if run_here:
        move(job, JobPhase.RUNNING, runner=ProcessId.current().format(), started_at=utcnow(), message="starting")
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


def append_log(folder: Path, message: str) -> None:
    """One time-stamped line in the job's ``log.txt``."""
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    with open(folder / "log.txt", "a", encoding="utf-8") as fh:
        fh.write(f"{stamp} {message}\n")


class Tracker:
    """Writes a job's log and (at most every half second) its progress and message."""

    def __init__(self, sessions: sessionmaker[Session], layout: Layout, job_id: int) -> None:
        self.sessions, self.layout, self.job_id = sessions, layout, job_id
        self.folder = job_dir(layout, job_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._last = 0.0

    def log(self, message: str) -> None:
        with self._lock:
            append_log(self.folder, message)

    def update(
        self,
        *,
        phase: JobPhase | None = None,
        progress: float | None = None,
        message: str | None = None,
        force: bool = False,
        **links: int | None,
    ) -> None:
        """Progress and message (at most every half second unless ``force``), and a change of phase."""
        now = time.monotonic()
        if not force and phase is None and now - self._last < 0.5:
            return
        self._last = now
        with transaction(self.sessions) as session:
            if phase is not None:
                _change_phase(session, self.job_id, phase)
            job = session.get(Job, self.job_id)
            if job is None:
                return
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


def _change_phase(session: Session, job_id: int, phase: JobPhase) -> None:
    """Running: claim the job for this process (unless the engine's worker pool claimed it for us)."""
    if phase is JobPhase.RUNNING:
        me = ProcessId.current().format()
        if advance(session, job_id, [JobPhase.QUEUED], phase, runner=me, started_at=utcnow()):
            return
        job = session.get(Job, job_id)
        if job is not None and job.phase == JobPhase.RUNNING and job.runner == me:
            return
        raise IllegalTransition(f"import job {job_id} is {job.phase if job else 'gone'}, not queued: cannot run it")
    expected = [JobPhase.RUNNING] if phase is JobPhase.DONE else [JobPhase.QUEUED, JobPhase.RUNNING]
    if not advance(session, job_id, expected, phase):
        raise IllegalTransition(f"import job {job_id} is not running: cannot mark it {phase}")


def roll_back(session: Session, layout: Layout, job: Job) -> str:
    """An import cut short (its process died): remove what its journal placed but did not register."""
    folder = job_dir(layout, job.id)
    journal = read_journal(folder)
    removed = roll_back_journal(session, layout, folder)
    if journal.get("asides"):  # fragments of series being replaced: back in place unless the commit happened
        settle_asides(session, journal["asides"], str(journal.get("committed_sop", "")), job.project_id)
    for work in folder.glob("work-*"):  # the staging folders of the dead run
        shutil.rmtree(work, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    append_log(folder, f"{INTERRUPTED} (removed {len(removed)} unregistered files)")
    return INTERRUPTED


def sweep_work_folders(session: Session, layout: Layout) -> list[str]:
    """The staging (``work-*``) and unpacking folders left in the folders of import jobs that are over."""
    leftovers: dict[int, list[Path]] = {}
    for pattern in ("*/work-*", "*/unpacked"):
        for path in (layout.home / "jobs").glob(pattern):
            if path.parent.name.isdigit():
                leftovers.setdefault(int(path.parent.name), []).append(path)
    if not leftovers:
        return []
    over = set(
        session.scalars(
            select(Job.id).where(
                Job.id.in_(leftovers), Job.kind == KIND, Job.phase.in_([JobPhase.ERROR, JobPhase.DONE])
            )
        )
    )
    removed = []
    for job_id in sorted(over):
        for path in leftovers[job_id]:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def prepare_retry(session: Session, actor: Actor, layout: Layout, project: str, job_id: int) -> Job:
    """Re-queue a failed import job whose source is still there."""
    access = project_access(session, actor, project)
    access.require_write()
    job = get_job(session, access, job_id)
    if job.phase != JobPhase.ERROR:
        raise InvalidInput(f"import job {job_id} is {job.state!r}; only failed jobs ('e') can be retried")
    source = Path(str(job.spec.get("source", "")))
    if not source.exists():
        raise InvalidInput(f"import job {job_id} cannot be retried: its source {source} is gone; import again")
    move(job, JobPhase.QUEUED, progress=0.0, message="queued (retry)", runner="")
    audit.record(session, actor, "import.retry", project=project, target=str(job_id))
    return job
