"""Running import jobs in the background of the web server, and retrying failed ones.

A job's spec says what to import (``source``, ``archive``, ``options``, ``remove_source``); the work runs
on a small thread pool (imports are mostly waiting for dcm2niix and the disk). An uploaded archive is
kept in the job folder until the import succeeds, so a failed or interrupted job can be retried.
"""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import transaction
from nora.archive.models import Job
from nora.archive.services.access import Actor
from nora.archive.storage import Layout
from nora.core.errors import NoraError, NotFound
from nora.importing import jobs
from nora.importing.report import ImportReport
from nora.importing.service import ImportOptions, import_dicom_tree, import_zip

log = logging.getLogger(__name__)

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nora-import")


def run_job(sessions: sessionmaker[Session], layout: Layout, actor: Actor, project: str, job_id: int) -> ImportReport:
    """Run import job ``job_id`` as its spec says (in this thread)."""
    with sessions() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"import job {job_id} does not exist")
        spec = dict(job.spec)
    source = Path(str(spec.get("source", "")))
    options = ImportOptions.from_spec(dict(spec.get("options") or {}))
    if spec.get("native"):
        from nora.importing.native import import_native

        report = import_native(sessions, layout, actor, project, source, job_id=job_id)
    elif spec.get("archive"):
        report = import_zip(sessions, layout, actor, project, source, options, job_id=job_id)
    else:
        report = import_dicom_tree(sessions, layout, actor, project, source, options, job_id=job_id)
    if spec.get("remove_source"):
        if source.is_dir():
            shutil.rmtree(source, ignore_errors=True)
        else:
            source.unlink(missing_ok=True)
    return report


def submit(sessions: sessionmaker[Session], layout: Layout, actor: Actor, project: str, job_id: int) -> Future[None]:
    """Run the job on the background pool; failures are recorded on the job (state ``e``, message, log)."""

    def _work() -> None:
        try:
            run_job(sessions, layout, actor, project, job_id)
        except NoraError as exc:
            log.info("import job %s failed: %s", job_id, exc.message)
        except Exception:
            log.exception("import job %s failed", job_id)

    return _pool.submit(_work)


def retry(sessions: sessionmaker[Session], layout: Layout, actor: Actor, project: str, job_id: int) -> Future[None]:
    with transaction(sessions) as session:
        jobs.prepare_retry(session, actor, layout, project, job_id)
    return submit(sessions, layout, actor, project, job_id)
