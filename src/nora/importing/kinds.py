"""The job kinds of import: ``import`` (an upload, a folder, a retry) and ``retrieve`` (a PACS pull).

Both run on the engine's worker pool (:mod:`nora.processing.workers`) on the import queue
(``default_queue_import``); :func:`register` adds them to an engine's registry where the services are
composed. A job's spec says what to import (``source``, ``archive``, ``native``, ``options``,
``remove_source``); an uploaded archive is kept in the job folder until the import succeeds, so a failed
or interrupted job can be retried (:func:`retry`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.models import Project, User
from nora.archive.services.access import SYSTEM, Actor
from nora.archive.storage import Layout
from nora.core.errors import NotFound
from nora.core.settings import Settings
from nora.importing import jobs, pacs
from nora.importing.report import ImportReport
from nora.processing.config import import_queue
from nora.processing.kinds import JobKinds, WorkerKind
from nora.processing.models import Job


def _owner(session: Session, job: Job) -> tuple[Actor, str]:
    """The job's user (as the actor it runs as) and its project's name."""
    user = session.get(User, job.user_id) if job.user_id else None
    project = session.get(Project, job.project_id)
    if project is None:
        raise NotFound(f"the project of job {job.id} no longer exists")
    return (Actor.of(user) if user else SYSTEM), project.name


def run_import(sessions: sessionmaker[Session], layout: Layout, settings: Settings, job_id: int) -> ImportReport:
    """Run import job ``job_id`` as its spec says (in this thread)."""
    from nora.importing.native import import_native
    from nora.importing.service import ImportOptions, import_dicom_tree, import_zip

    with sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"import job {job_id} does not exist")
        spec = dict(job.spec)
        actor, project = _owner(session, job)
    source = Path(str(spec.get("source", "")))
    options = ImportOptions.from_spec(dict(spec.get("options") or {}))
    processing = settings.processing
    if spec.get("native"):
        report = import_native(sessions, layout, actor, project, source, job_id=job_id, processing=processing)
    elif spec.get("archive"):
        report = import_zip(sessions, layout, actor, project, source, options, job_id=job_id, processing=processing)
    else:
        report = import_dicom_tree(
            sessions, layout, actor, project, source, options, job_id=job_id, processing=processing
        )
    if spec.get("remove_source"):
        if source.is_dir():
            shutil.rmtree(source, ignore_errors=True)
        else:
            source.unlink(missing_ok=True)
    return report


class ImportKind(WorkerKind):
    name = jobs.KIND
    title = "import"

    def __init__(self, sessions: sessionmaker[Session], layout: Layout, settings: Settings) -> None:
        self.sessions, self.layout, self.settings = sessions, layout, settings
        self.queue = import_queue(settings.processing)

    def run(self, job_id: int) -> None:
        run_import(self.sessions, self.layout, self.settings, job_id)

    def recover(self, session: Session, job: Job) -> str:
        return jobs.roll_back(session, self.layout, job)

    def sweep(self, session: Session) -> list[str]:
        return jobs.sweep_work_folders(session, self.layout)


class RetrieveKind(WorkerKind):
    name = pacs.KIND
    title = "PACS retrieve"

    def __init__(
        self, sessions: sessionmaker[Session], layout: Layout, settings: Settings, spool_of: pacs.SpoolOf
    ) -> None:
        self.sessions, self.layout, self.settings, self.spool_of = sessions, layout, settings, spool_of
        self.queue = import_queue(settings.processing)

    def run(self, job_id: int) -> None:
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound(f"retrieve job {job_id} does not exist")
            actor, _project = _owner(session, job)
        pacs.run_retrieve(self.sessions, self.layout, self.settings, actor, job_id, self.spool_of)

    def recover(self, session: Session, job: Job) -> str:
        return pacs.INTERRUPTED


def register(
    kinds: JobKinds,
    sessions: sessionmaker[Session],
    layout: Layout,
    settings: Settings,
    spool_of: pacs.SpoolOf,
) -> JobKinds:
    """Add the import and retrieve kinds to an engine's registry."""
    kinds.register(ImportKind(sessions, layout, settings))
    kinds.register(RetrieveKind(sessions, layout, settings, spool_of))
    return kinds


def retry(sessions: sessionmaker[Session], layout: Layout, actor: Actor, project: str, job_id: int) -> None:
    """Queue a failed import job again (the engine runs it)."""
    with transaction(sessions) as session:
        jobs.prepare_retry(session, actor, layout, project, job_id)
