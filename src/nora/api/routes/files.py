"""Files: listing, the backend selector, upload, download (range + ETag), renaming and deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import TypeAdapter
from sqlalchemy import select

from nora.api.casekeys import alias_files
from nora.api.deps import DB, ProjectAccess, ReadAccess, State
from nora.api.schemas import FileOut, FilePage, FileRename
from nora.api.streaming import require_download_unless_viewing, stream_file
from nora.archive.models import File as FileRow
from nora.archive.models import FileTag, Patient, Study
from nora.archive.selection import resolve_selection
from nora.archive.services import files as svc
from nora.archive.services import nodes
from nora.archive.services.access import Access
from nora.archive.services.tags import tags_of
from nora.core.errors import NotFound
from nora.core.validation import DbInt

router = APIRouter(prefix="/projects/{project}", tags=["files"])


def files_out(db: DB, access: Access, rows: list[FileRow], names: dict[int, tuple[str, str | None]]) -> list[FileOut]:
    """File rows as the API shows them; ``names`` maps file id → (pid, sid)."""
    tags = tags_of(db, FileTag, "file_id", [r.id for r in rows])
    base = f"/api/projects/{access.project.name}/files"
    return [
        FileOut(
            id=r.id,
            path=r.path,
            format=r.format,
            size=r.size,
            header=r.header,
            tags=tags[r.id],
            modified_at=r.modified_at,
            study_id=r.study_id,
            patient_id=r.patient_id,
            pid=names[r.id][0],
            sid=names[r.id][1],
            url=f"{base}/{r.id}/content",
        )
        for r in rows
    ]


FILE_LIST = TypeAdapter(list[FileOut])


@router.get("/patients/{pid}/studies/{sid}/files", response_model=list[FileOut])
def study_files(pid: str, sid: str, request: Request, access: ReadAccess, db: DB, state: State) -> Response:
    """A study's files (named by a reading's case key: with the key for PID and SID)."""

    def listing() -> bytes:
        study = nodes.get_study(db, access, pid, sid)
        rows = svc.list_files(db, access, study.patient, study)
        named = alias_files(request, files_out(db, access, rows, {r.id: (pid, sid) for r in rows}))
        return FILE_LIST.dump_json(named, by_alias=True)

    return state.cache.answer(request, db, access, listing)


@router.get("/patients/{pid}/files", response_model=list[FileOut])
def patient_files(pid: str, request: Request, access: ReadAccess, db: DB, state: State) -> Response:
    def listing() -> bytes:
        patient = nodes.get_patient(db, access, pid)
        rows = svc.list_files(db, access, patient, None)
        return FILE_LIST.dump_json(files_out(db, access, rows, {r.id: (pid, None) for r in rows}), by_alias=True)

    return state.cache.answer(request, db, access, listing)


@router.get("/files", response_model=FilePage)
def select_files(
    access: ReadAccess,
    db: DB,
    state: State,
    select_: Annotated[str, Query(alias="select", max_length=2000, description="subject selector")] = "*",
    pattern: Annotated[str, Query(max_length=2000, description="file selectors")] = "*",
    offset: DbInt = 0,
    limit: DbInt = 1000,
) -> FilePage:
    """The backend selector of ``nora -s SUBJECT FILES``."""
    hits = resolve_selection(db, access.project.id, select_, pattern, state.layout.project_dir(access.project.name))
    names = {h.file_id: (h.pid, h.sid) for h in hits if h.file_id is not None}  # "[info]" rows have no file
    ids = list(names)
    page = ids[max(0, offset) : max(0, offset) + max(1, min(limit, state.settings.page_size_max))]
    rows = {r.id: r for r in db.scalars(select(FileRow).where(FileRow.id.in_(page)))}
    return FilePage(total=len(ids), items=files_out(db, access, [rows[i] for i in page], names))


def _upload(
    access: Access,
    db: DB,
    state: State,
    patient: Patient,
    study: Study | None,
    files: list[UploadFile],
    folder: str,
    overwrite: bool,
) -> list[FileOut]:
    uploads = [
        svc.Upload(f"{folder.rstrip('/')}/{f.filename}" if folder.strip() else (f.filename or ""), f.file)
        for f in files
    ]
    rows = svc.store_uploads(
        db,
        access,
        state.layout,
        patient,
        study,
        uploads,
        overwrite=overwrite,
        max_bytes=state.settings.max_upload_mb * 1024 * 1024,
    )
    db.commit()
    return files_out(db, access, rows, {r.id: (patient.pid, study.sid if study else None) for r in rows})


@router.post("/patients/{pid}/studies/{sid}/files", response_model=list[FileOut], status_code=status.HTTP_201_CREATED)
def upload_study_files(
    pid: str,
    sid: str,
    access: ProjectAccess,
    db: DB,
    state: State,
    file: Annotated[list[UploadFile], File(description="one or more files")],
    folder: Annotated[str, Form(max_length=512)] = "",
    overwrite: Annotated[bool, Form()] = False,
) -> list[FileOut]:
    """Upload files into a study; every file is checked and the upload is stored all or nothing."""
    access.require_write()
    study = nodes.get_study(db, access, pid, sid)
    return _upload(access, db, state, study.patient, study, file, folder, overwrite)


@router.post("/patients/{pid}/files", response_model=list[FileOut], status_code=status.HTTP_201_CREATED)
def upload_patient_files(
    pid: str,
    access: ProjectAccess,
    db: DB,
    state: State,
    file: Annotated[list[UploadFile], File(description="one or more files")],
    folder: Annotated[str, Form(max_length=512)] = "",
    overwrite: Annotated[bool, Form()] = False,
) -> list[FileOut]:
    access.require_write()
    patient = nodes.get_patient(db, access, pid)
    return _upload(access, db, state, patient, None, file, folder, overwrite)


@router.get(
    "/files/{file_id}/content",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 206: {}, 304: {}},
)
def file_content(
    file_id: DbInt, request: Request, access: ReadAccess, db: DB, state: State, download: bool = False
) -> Response:
    """The file's bytes, with HTTP range requests and ETag. Saving needs the download right: an attachment
    (``download=true``) or a browser navigation to the address; the viewer's fetch needs read access only."""
    row = svc.get_file(db, access, file_id)
    require_download_unless_viewing(request, access, download)
    path = svc.file_location(db, state.layout, access, row)
    if not path.is_file():
        raise NotFound(f"file {row.path} is indexed but missing on disk")
    return stream_file(request, path, svc.etag(row), row.path.rsplit("/", 1)[-1], download=download)


@router.patch("/files/{file_id}", response_model=FileOut)
def rename_file(file_id: DbInt, body: FileRename, access: ProjectAccess, db: DB, state: State) -> FileOut:
    """Rename (or move within its study folder) a file; the extension stays."""
    row = svc.rename_file(db, access, state.layout, svc.get_file(db, access, file_id), body.path)
    db.commit()
    patient = db.get(Patient, row.patient_id)
    study = db.get(Study, row.study_id) if row.study_id else None
    assert patient is not None
    return files_out(db, access, [row], {row.id: (patient.pid, study.sid if study else None)})[0]


@router.delete("/files/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_file(file_id: DbInt, access: ProjectAccess, db: DB, state: State) -> None:
    svc.delete_file(db, access, state.layout, svc.get_file(db, access, file_id))
    db.commit()
