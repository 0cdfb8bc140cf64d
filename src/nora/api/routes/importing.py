"""Import routes: zip upload (REST-native and NORA's ``call``/``thefile`` form), native-PID upload, jobs.

Uploads are written to the job's folder, checked, and the job is queued; the import runs in the
background (the engine's worker pool, on the import queue) and the caller polls
``GET .../import/jobs/{id}`` for progress, the report and the log.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import PlainTextResponse
from pydantic import Field
from sqlalchemy.orm import Session

from nora.api import confinement
from nora.api.deps import DB, ProjectAccess, State, credentials
from nora.api.schemas import Out, UtcDateTime
from nora.api.security import call_actor
from nora.archive.services.access import Access, Actor, project_access
from nora.archive.services.accounts import user_for_token
from nora.archive.services.tags import split_tags
from nora.archive.storage import Layout, atomic_write, safe_relpath
from nora.core.errors import InvalidInput, NotAuthenticated
from nora.core.validation import DbInt
from nora.importing import jobs
from nora.importing.kinds import retry
from nora.importing.report import ImportReport
from nora.importing.service import ImportOptions, check_options, compile_pattern
from nora.processing.models import Job

router = APIRouter(tags=["import"])


class ImportJobOut(Out):
    id: int
    name: str
    state: str = Field(description="q queued, r running, e error, d done")
    progress: float
    message: str
    created_at: UtcDateTime
    updated_at: UtcDateTime
    pid: str | None = None
    sid: str | None = None
    report: ImportReport | None = Field(default=None, description="what the import did (GET of one finished job)")


def _job_out(db: Session, layout: Layout, job: Job, with_report: bool = False) -> ImportJobOut:
    from nora.archive.models import Patient, Study

    patient = db.get(Patient, job.patient_id) if job.patient_id else None
    study = db.get(Study, job.study_id) if job.study_id else None
    return ImportJobOut(
        id=job.id,
        name=job.name,
        state=job.state,
        progress=job.progress,
        message=job.message,
        created_at=job.created_at,
        updated_at=job.updated_at,
        pid=patient.pid if patient else None,
        sid=study.sid if study else None,
        report=jobs.read_report(layout, job) if with_report else None,
    )


def _options(
    patients_id: str | None,
    studies_id: str | None,
    pattern: str | None,
    extrafiles_filter: str | None,
    addtag_study: str | None,
    addtag_patient: str | None,
    keep_originals: bool | None,
) -> ImportOptions:
    options = ImportOptions(
        patients_id=patients_id or None,
        studies_id=studies_id or None,
        pattern=pattern or None,
        extrafiles_filter=tuple(e.strip().lstrip(".") for e in (extrafiles_filter or "").split(",") if e.strip()),
        addtag_study=tuple(split_tags(addtag_study)) if addtag_study else (),
        addtag_patient=tuple(split_tags(addtag_patient)) if addtag_patient else (),
        keep_originals=keep_originals,
    )
    check_options(options)
    compile_pattern(options.pattern)
    return options


def _queue_upload(
    db: Session, state: Any, access: Access, upload: UploadFile, options: ImportOptions, *, native: bool = False
) -> Job:
    """Write the zip into a new job's folder, check it is a zip, and queue the job (all or nothing)."""
    access.require_write()
    name = upload.filename or "upload.zip"
    spec = {"archive": True, "options": options.to_spec(), "remove_source": True, "native": native}
    job = jobs.create_job(db, access, state.layout, f"import {name}"[:255], spec)
    folder = jobs.job_dir(state.layout, job.id)
    target = folder / "upload.zip"
    try:
        atomic_write(target, upload.file, max_bytes=state.settings.max_upload_mb * 1024 * 1024)
        if not zipfile.is_zipfile(target):
            raise InvalidInput(f"{name} is not a zip archive; upload the DICOM folder as a .zip")
        job.spec = {**spec, "source": str(target)}
        db.commit()
    except BaseException:
        db.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    state.services.notify_jobs()
    return job


@router.post("/projects/{project}/import", response_model=ImportJobOut, status_code=status.HTTP_202_ACCEPTED)
def import_upload(
    access: ProjectAccess,
    db: DB,
    state: State,
    file: Annotated[UploadFile, File(description="a zip of DICOM files (and extra files)")],
    patients_id: Annotated[str | None, Form(max_length=128)] = None,
    studies_id: Annotated[str | None, Form(max_length=128)] = None,
    pattern: Annotated[str | None, Form(max_length=1000)] = None,
    extrafiles_filter: Annotated[str | None, Form(max_length=200)] = None,
    addtag_study: Annotated[str | None, Form(max_length=1000)] = None,
    addtag_patient: Annotated[str | None, Form(max_length=1000)] = None,
    keep_originals: Annotated[bool | None, Form()] = None,
) -> ImportJobOut:
    """Upload a zip of DICOM files; it is converted by a background import job (poll the job)."""
    options = _options(
        patients_id, studies_id, pattern, extrafiles_filter, addtag_study, addtag_patient, keep_originals
    )
    return _job_out(db, state.layout, _queue_upload(db, state, access, file, options))


@router.post("/projects/{project}/import/native", response_model=ImportJobOut, status_code=status.HTTP_202_ACCEPTED)
def import_native_upload(
    access: ProjectAccess,
    db: DB,
    state: State,
    file: Annotated[list[UploadFile], File(description="DICOM files, or other files with JSON sidecars")],
) -> ImportJobOut:
    """Upload with native PID: patient and study come from the files' own metadata (created if needed)."""
    access.require_write()
    spec = {"native": True, "options": {}, "remove_source": True}
    job = jobs.create_job(db, access, state.layout, f"upload with native PID ({len(file)} files)", spec)
    folder = jobs.job_dir(state.layout, job.id) / "upload"
    try:
        for k, upload in enumerate(file):
            rel = safe_relpath(upload.filename or f"file{k}")
            atomic_write(folder / rel, upload.file, max_bytes=state.settings.max_upload_mb * 1024 * 1024)
        job.spec = {**spec, "source": str(folder)}
        db.commit()
    except BaseException:
        db.rollback()
        shutil.rmtree(folder.parent, ignore_errors=True)
        raise
    state.services.notify_jobs()
    return _job_out(db, state.layout, job)


@router.get("/projects/{project}/import/jobs", response_model=list[ImportJobOut])
def import_jobs(access: ProjectAccess, db: DB, state: State, limit: DbInt = 50) -> list[ImportJobOut]:
    return [_job_out(db, state.layout, j) for j in jobs.list_jobs(db, access, limit)]


@router.get("/projects/{project}/import/jobs/{job_id}", response_model=ImportJobOut)
def import_job(job_id: DbInt, access: ProjectAccess, db: DB, state: State) -> ImportJobOut:
    """A job's state, progress and (when finished) its report."""
    return _job_out(db, state.layout, jobs.get_job(db, access, job_id), with_report=True)


@router.get("/projects/{project}/import/jobs/{job_id}/log", response_class=PlainTextResponse)
def import_job_log(job_id: DbInt, access: ProjectAccess, db: DB) -> str:
    return jobs.read_log(jobs.get_job(db, access, job_id))


@router.post(
    "/projects/{project}/import/jobs/{job_id}/retry", response_model=ImportJobOut, status_code=status.HTTP_202_ACCEPTED
)
def retry_import_job(job_id: DbInt, access: ProjectAccess, db: DB, state: State) -> ImportJobOut:
    """Run a failed import job again (its uploaded archive is kept until it succeeds)."""
    retry(state.sessions, state.layout, access.actor, access.project.name, job_id)
    state.services.notify_jobs()
    db.expire_all()
    return _job_out(db, state.layout, jobs.get_job(db, access, job_id))


def _legacy_actor(request: Request, db: Session, call: dict[str, Any]) -> Actor:
    """The caller of NORA's form: the token in ``call`` (its owner must be ``call.user``), else the header."""
    if call.get("token"):
        return call_actor(db, call)
    creds = credentials(request)
    if creds is None:
        raise NotAuthenticated("give 'token' and 'user' in call, or 'Authorization: Bearer <token>'")
    return Actor.of(user_for_token(db, creds[1], kind=creds[0]))


@router.post("/import", response_model=ImportJobOut, status_code=status.HTTP_202_ACCEPTED)
def legacy_import(
    request: Request,
    db: DB,
    state: State,
    call: Annotated[str, Form(max_length=10000, description='{"cmd":"import","user":..,"token":..}')],
    thefile: Annotated[UploadFile, File(description="the zipped DICOM folder")],
    project: Annotated[str | None, Query(max_length=128)] = None,
) -> ImportJobOut:
    """NORA's HTTP POST import: ``-F 'call={"cmd":"import",...}' -F 'thefile=@data.zip'`` (``?project=``)."""
    try:
        parsed = json.loads(call)
    except ValueError:
        raise InvalidInput('call must be a JSON object such as {"cmd":"import","user":..,"token":..}') from None
    if not isinstance(parsed, dict) or parsed.get("cmd") != "import":
        raise InvalidInput('call must be a JSON object with "cmd": "import"')
    actor = _legacy_actor(request, db, parsed)
    name = project or str(parsed.get("project") or "")
    if not name:
        raise InvalidInput('name the project: ?project=NAME or "project" in call')
    access = project_access(db, actor, name)
    confinement.guard(request, db, access)
    return _job_out(db, state.layout, _queue_upload(db, state, access, thefile, ImportOptions()))


__all__ = ["router"]
