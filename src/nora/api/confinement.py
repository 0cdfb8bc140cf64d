"""The server's side of a blind reading's ``restrictToReading``: the one check of every project route.

:func:`guard` runs in the project access dependencies (``deps.access`` / ``deps.reading_access``), so no
route can forget it. For a caller confined to a reading (:mod:`nora.reading.confinement`) it lets through
only the routes a reader needs, each for the caller's cases only:

- the project itself (``GET``), its live events and autoloader presets (names), the reading routes;
- the viewer's autoload (the route checks the case of its body: :func:`require_case`);
- a case study's file list (the files panel), a file's bytes, an ROI or marker set and their versions: of
  a case's study (marker sets: of a case's
  patient), never another reader's target of the form's annotation items (listings leave them out:
  :func:`visible`); saves of ROIs and marker sets only where the reading's ``tools`` offer the tool.

Everything else (the table, tags, metadata, file lists, DICOM headers, trash, rights, uploads, jobs of the
project, segmentation) is a 403 that names the reading.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.annotation import markers, rois
from nora.annotation.models import AnnotationObject
from nora.archive.models import File, Patient, Study
from nora.archive.services.access import Access
from nora.reading.confinement import Confinement, Tool, confinement

PROJECT = "/projects/{project}"
#: routes a confined reader may call whatever they name (nothing of a study or patient in them)
OPEN = {
    ("GET", ""),
    ("GET", "/events"),
    ("GET", "/viewer/autoloaders"),
    ("POST", "/viewer/autoload"),  # checked by the route: require_case
}
#: a file's bytes: the download route and the viewer's (the file itself, a DICOM series as one volume)
FILE_BYTES = {"/files/{file_id}/content", "/viewer/files/{file_id}/content", "/viewer/files/{file_id}/series.nii.gz"}
CASE_FILES = "/patients/{pid}/studies/{sid}/files"
STUDY = "/patients/{pid}/studies/{sid}/rois"
MARKERS = "/patients/{pid}/markers"
SAVES = {"PUT", "POST", "DELETE", "PATCH"}


def path_of(request: Request) -> str:
    """The matched route's path below ``/projects/{project}`` (``/patients/{pid}/markers``)."""
    route = request.scope.get("route")
    before, found, rest = str(getattr(route, "path", "")).partition(PROJECT)
    return rest if found else before


def _study_id(db: Session, access: Access, pid: str, sid: str) -> int | None:
    return db.scalar(
        select(Study.id)
        .join(Patient, Patient.id == Study.patient_id)
        .where(Study.project_id == access.project.id, Patient.pid == pid, Study.sid == sid)
    )


def _patient_id(db: Session, access: Access, pid: str) -> int | None:
    return db.scalar(select(Patient.id).where(Patient.project_id == access.project.id, Patient.pid == pid))


def _tool(c: Confinement, method: str, tool: Tool) -> None:
    if method in SAVES:
        c.require_tool(tool)


def _check(request: Request, db: Session, access: Access, c: Confinement) -> None:
    method, route = request.method, path_of(request)
    params = request.path_params
    if (method, route) in OPEN or route.startswith("/readings/") or route == "/readings":
        return
    if route in FILE_BYTES:
        row = db.get(File, int(params["file_id"]))
        if row is None or row.project_id != access.project.id or c.hides(row.path):
            raise c.refuse("this file")
        if row.study_id is not None:
            return c.require_study(row.study_id, "this file")
        return c.require_patient(row.patient_id, "this file")
    if (method, route) == ("GET", CASE_FILES):
        return c.require_study(_study_id(db, access, params["pid"], params["sid"]), "this study's files")
    if route.startswith(STUDY):
        _tool(c, method, "roi")
        if "name" in params and c.hides(rois.roi_path(params["name"])):
            raise c.refuse("another reader's ROI")
        return c.require_study(_study_id(db, access, params["pid"], params["sid"]), "this study's ROIs")
    if route.startswith(MARKERS):
        _tool(c, method, "markers")
        if "name" in params and c.hides(markers.marker_path(params["name"])):
            raise c.refuse("another reader's marker set")
        patient = _patient_id(db, access, params["pid"])
        if patient is None:
            raise c.refuse("this patient's marker sets")
        return c.require_patient(patient, "this patient's marker sets")
    if route.startswith("/annotations/{object_id}/"):
        obj = db.get(AnnotationObject, int(params["object_id"]))
        if obj is None or obj.project_id != access.project.id:
            raise c.refuse("this annotation")
        _tool(c, method, "roi" if obj.kind == "roi" else "markers")
        if c.hides(obj.path):
            raise c.refuse("another reader's annotation")
        if obj.study_id is not None:
            return c.require_study(obj.study_id, "this annotation")
        return c.require_patient(obj.patient_id, "this annotation")
    raise c.refuse(f"{method} {route or '/'}")


def guard(request: Request, db: Session, access: Access) -> None:
    """Refuse what a confined reader may not reach (see the module); nothing for everyone else."""
    c = confinement(db, access)
    if c is not None:
        _check(request, db, access, c)
        request.state.confinement = c


def hidden(request: Request, path: str) -> bool:
    """Whether a file of a case (``ROIS/x_ann.nii.gz``) is another reader's target, kept from a confined caller."""
    c: Confinement | None = getattr(request.state, "confinement", None)
    return c is not None and c.hides(path)


def visible(request: Request, objects: list[AnnotationObject]) -> list[AnnotationObject]:
    """The annotation objects a listing shows the caller: a confined reader's without other readers' targets."""
    c: Confinement | None = getattr(request.state, "confinement", None)
    return objects if c is None else [o for o in objects if not c.hides(o.path)]


def require_case(request: Request, db: Session, access: Access, pid: str, sid: str | None) -> None:
    """For routes that name the case in their body (autoload): a confined caller's case only."""
    c: Confinement | None = getattr(request.state, "confinement", None)
    if c is None:
        return
    study = _study_id(db, access, pid, sid) if sid else None
    if study is None:
        patient = _patient_id(db, access, pid)
        if patient is None:
            raise c.refuse("this case")
        return c.require_patient(patient, "this case")
    c.require_study(study, "this case")
