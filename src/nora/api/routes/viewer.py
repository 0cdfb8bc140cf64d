"""The viewer: autoloader presets, shared links, URL calls, guest-aware streaming and DICOM series volumes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from nora.api.casekeys import alias_files, resolve_body
from nora.api.confinement import guard, hidden, require_case
from nora.api.deps import DB, OptionalActor, ReadAccess, State, start_web_session
from nora.api.routes.files import files_out
from nora.api.schemas import FileOut, Out
from nora.api.streaming import require_download_unless_viewing, stream_file
from nora.archive.models import File as FileRow
from nora.archive.services import audit
from nora.archive.services import files as file_svc
from nora.archive.services.access import Access, Actor, read_access
from nora.core.errors import NotFound
from nora.core.ids import Psid
from nora.core.validation import DbInt
from nora.reading.casekeys import is_key
from nora.viewer import autoloaders, dicomseries, sharedstates, urlcall
from nora.viewer.layouts import LayoutName

router = APIRouter(tags=["viewer"])
P = "/projects/{project}/viewer"


ViewerAccess = ReadAccess


class PresetOut(Out):
    name: str
    shared: bool
    owner: str
    mine: bool
    definition: autoloaders.Autoloader


class LoaderFiles(Out):
    index: int
    viewports: list[int]
    intent: autoloaders.Intent
    files: list[FileOut]


class RoiLoaderFiles(Out):
    index: int
    files: list[FileOut]


class AutoloadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: autoloaders.Autoloader
    pid: str = Field(min_length=1, max_length=128, description="the PID, or a reading's case key (`~...`)")
    sid: str | None = Field(default=None, max_length=128, description="the SID (with a case key: the key's)")


class AutoloadOut(Out):
    pid: str
    sid: str | None
    main_viewport: int
    layout: LayoutName | None
    loaders: list[LoaderFiles]
    rois: list[RoiLoaderFiles]


class SnapshotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: autoloaders.SnapshotMode = "smart"
    file_ids: list[DbInt] = Field(min_length=1, max_length=autoloaders.MAX_LOADERS)


class SharedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: sharedstates.ViewerState
    title: str = Field(default="", max_length=255)


class SharedOut(Out):
    link: str
    project: str
    title: str
    owner: str
    url: str
    state: sharedstates.ViewerState
    missing: list[int]
    may_overwrite: bool = Field(description="whether the caller may overwrite it: its creator or a project admin")


class UrlCallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(min_length=1, max_length=128)
    call: str | urlcall.Call = Field(description="NORA's call: its JSON text (as in the URL) or the object")


class UrlCallOut(Out):
    project: str
    username: str
    pid: str | None
    sid: str | None
    preset: str | None
    selmode: str | None


def _preset_out(p: autoloaders.Preset) -> PresetOut:
    return PresetOut(name=p.name, shared=p.shared, owner=p.owner, mine=p.mine, definition=p.definition)


@router.get(f"{P}/autoloaders", response_model=list[PresetOut])
def list_presets(access: ViewerAccess, db: DB) -> list[PresetOut]:
    """The caller's own autoloader presets and the project's shared ones."""
    return [_preset_out(p) for p in autoloaders.list_presets(db, access)]


@router.put(f"{P}/autoloaders/{{name}}", response_model=PresetOut)
def save_preset(
    name: str, body: autoloaders.Autoloader, access: ViewerAccess, db: DB, shared: bool = False
) -> PresetOut:
    """Create or overwrite a preset; ``shared=true`` makes it visible to the project (needs write access)."""
    preset = autoloaders.save_preset(db, access, name, body, shared=shared)
    db.commit()
    return _preset_out(preset)


@router.delete(f"{P}/autoloaders/{{name}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_preset(name: str, access: ViewerAccess, db: DB, shared: bool = False) -> None:
    autoloaders.delete_preset(db, access, name, shared=shared)
    db.commit()


@router.post(f"{P}/autoload", response_model=AutoloadOut)
def autoload(body: AutoloadIn, request: Request, access: ViewerAccess, db: DB) -> AutoloadOut:
    """Run a preset (saved or being edited) for one case: each enabled loader's files. A reading's case key
    for ``pid`` names its case; the answer then names it by the key (files included), never by PID or SID."""
    pid, sid = body.pid, body.sid or None
    if is_key(pid):
        keyed = resolve_body(request, db, access, pid).case
        pid, sid = keyed.pid, keyed.sid
    require_case(request, db, access, pid, sid)
    case = Psid(pid, sid)
    found = autoloaders.resolve(db, access, body.definition, case)
    roi_found = autoloaders.resolve_rois(db, access, body.definition, case)
    hits = [h for lh in found for h in lh.hits] + [h for rh in roi_found for h in rh.hits]
    ids = [h.file_id for h in hits if h.file_id is not None]
    found_rows: list[FileRow] = list(db.scalars(select(FileRow).where(FileRow.id.in_(ids)))) if ids else []
    rows = {r.id: r for r in found_rows if not hidden(request, r.path)}  # a blind reader: not the others' ROIs
    names = {h.file_id: (h.pid, h.sid) for h in hits if h.file_id is not None}
    loaders = []
    for lh in found:
        hit_rows = [rows[h.file_id] for h in lh.hits if h.file_id in rows]
        loaders.append(
            LoaderFiles(
                index=lh.index,
                viewports=lh.loader.viewports,
                intent=lh.loader.intent,
                files=alias_files(request, files_out(db, access, hit_rows, names)),
            )
        )
    return AutoloadOut(
        pid=body.pid,
        sid=body.sid,
        main_viewport=body.definition.main_viewport,
        layout=body.definition.layout,
        loaders=loaders,
        rois=[
            RoiLoaderFiles(
                index=rh.index,
                files=alias_files(
                    request, files_out(db, access, [rows[h.file_id] for h in rh.hits if h.file_id in rows], names)
                ),
            )
            for rh in roi_found
        ],
    )


@router.post(f"{P}/autoloaders/snapshot", response_model=list[str])
def snapshot(body: SnapshotIn, access: ViewerAccess, db: DB) -> list[str]:
    """Patterns for the shown files: ``smart`` (generalised), ``strict`` (exact path) or ``tag`` (file tag)."""
    return [autoloaders.snapshot_pattern(db, access, fid, body.mode) for fid in body.file_ids]


def _shared_out(access: Access, s: sharedstates.Shared) -> SharedOut:
    url = f"/?project={access.project.name}&state={s.link}"
    return SharedOut(
        link=s.link,
        project=access.project.name,
        title=s.title,
        owner=s.owner,
        url=url,
        state=s.state,
        missing=s.missing,
        may_overwrite=s.may_overwrite,
    )


@router.post(f"{P}/sharedstates", response_model=SharedOut, status_code=status.HTTP_201_CREATED)
def create_shared(body: SharedIn, access: ViewerAccess, db: DB) -> SharedOut:
    """Save the viewer state as a new link."""
    shared = sharedstates.save(db, access, body.state, body.title)
    db.commit()
    return _shared_out(access, shared)


@router.put(f"{P}/sharedstates/{{link}}", response_model=SharedOut)
def overwrite_shared(link: str, body: SharedIn, access: ViewerAccess, db: DB) -> SharedOut:
    """Overwrite a link with the current state (its creator or a project admin)."""
    shared = sharedstates.save(db, access, body.state, body.title, link=link)
    db.commit()
    return _shared_out(access, shared)


@router.get(f"{P}/sharedstates/{{link}}", response_model=SharedOut)
def open_shared(link: str, access: ViewerAccess, db: DB) -> SharedOut:
    """The saved state, limited to what the caller may see (``missing`` lists dropped files)."""
    return _shared_out(access, sharedstates.open_link(db, access, link))


@router.get(
    f"{P}/files/{{file_id}}/content",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 206: {}, 304: {}},
)
def file_content(file_id: DbInt, request: Request, access: ViewerAccess, db: DB, state: State) -> Response:
    """A file's bytes for viewing (range requests, ETag); guests may view public projects. A browser
    navigation to this address saves the file, so it needs the download right."""
    row = file_svc.get_file(db, access, file_id)
    require_download_unless_viewing(request, access)
    path = file_svc.file_location(db, state.layout, access, row)
    if not path.is_file():
        raise NotFound(f"file {row.path} is indexed but missing on disk")
    return stream_file(request, path, file_svc.etag(row), row.path.rsplit("/", 1)[-1])


@router.get(
    f"{P}/files/{{file_id}}/series.nii.gz",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 206: {}, 304: {}},
)
def dicom_series(file_id: DbInt, request: Request, access: ViewerAccess, db: DB, state: State) -> Response:
    """The DICOM series that this file belongs to, as one NIfTI volume (converted once, then cached)."""
    row = file_svc.get_file(db, access, file_id)
    require_download_unless_viewing(request, access)
    path, tag, _count = dicomseries.series_volume(db, access, state.layout, row)
    return stream_file(request, path, tag, "series.nii.gz")


@router.post("/viewer/urlcall", response_model=UrlCallOut)
def url_call(
    body: UrlCallIn,
    request: Request,
    response: Response,
    db: DB,
    state: State,
    actor: OptionalActor,
) -> UrlCallOut:
    """Authenticate a URL call by its token (starting a web session) and check the case it opens."""
    call = urlcall.parse(body.call if isinstance(body.call, str) else body.call.model_dump())
    if call.token:
        user = urlcall.authenticate(db, call)
        actor = Actor.of(user)
        start_web_session(db, request, response, state, user, "url call")
        audit.record(db, actor, "auth.urlcall", project=body.project)
    access = read_access(db, actor, body.project)
    guard(request, db, access)
    case = urlcall.open_case(db, access, call)
    db.commit()
    return UrlCallOut(
        project=access.project.name,
        username=access.actor.username,
        pid=case.pid,
        sid=case.sid,
        preset=case.preset,
        selmode=call.selmode,
    )
