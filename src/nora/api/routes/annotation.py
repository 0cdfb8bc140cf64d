"""Annotation: ROIs of a study, marker sets of a patient, their versions, ROI operations and statistics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from pydantic import Field

from nora.annotation import markers, operations, rois, segio, store
from nora.annotation.markers import MarkerSet
from nora.annotation.models import AnnotationObject
from nora.api.confinement import visible
from nora.api.deps import DB, ProjectAccess, ReadAccess, State
from nora.api.schemas import Out, Strict, UtcDateTime
from nora.api.streaming import require_download_unless_viewing
from nora.archive.services import files, nodes
from nora.archive.services.access import Access
from nora.core.errors import InvalidInput, NotFound, TooLarge
from nora.core.validation import DbInt

router = APIRouter(prefix="/projects/{project}", tags=["annotation"])

STUDY = "/patients/{pid}/studies/{sid}"
Base = Annotated[int, Query(ge=0, le=2**31, description="the version this save starts from (0: a new object)")]


class VersionOut(Out):
    number: int
    based_on: int
    rejected: bool
    size: int
    sha256: str
    tool: str
    saved_by: str
    saved_at: UtcDateTime
    url: str


class AnnotationOut(Out):
    id: int
    kind: str
    name: str
    path: str
    current: int
    created_by: str
    file_id: int | None
    url: str | None


class RoiOut(AnnotationOut):
    reference: str | None
    reference_id: int | None
    matrix: list[int] | None = None
    voxels: int | None = None
    volume_ml: float | None = None
    is_2d: bool | None = None
    centre: list[float] | None = None


class MarkersOut(AnnotationOut):
    markers: MarkerSet | None = None


class RoiOperation(Strict):
    operation: operations.Operation
    iterations: int = Field(1, ge=1, le=100, description="morphology: voxels deep")
    min_voxels: int = Field(10, ge=1, le=2**31, description="remove_salt: smaller components are removed")
    other: str | None = Field(None, max_length=128, description="set operations: the second ROI of the study")
    output: str | None = Field(None, max_length=128, description="a new ROI's name; default: a new version")
    base: int = Field(0, ge=0, le=2**31, description="the current version of the ROI written to")


class StatsRow(Out):
    roi: str
    image: str
    image_id: int
    voxels: int
    volume_ml: float
    area_cm2: float | None
    mean: float | None
    std: float | None
    median: float | None
    p25: float | None
    p75: float | None
    min: float | None
    max: float | None


def _file_url(access: Access, file_id: int | None) -> str | None:
    return f"/api/projects/{access.project.name}/files/{file_id}/content" if file_id else None


def _common(db: DB, access: Access, obj: AnnotationObject) -> dict[str, Any]:
    row = store.file_of(db, obj)
    name = obj.path.rsplit("/", 1)[-1].removesuffix(".nii.gz").removesuffix(".json")
    return {
        "id": obj.id,
        "kind": obj.kind,
        "name": name,
        "path": obj.path,
        "current": obj.current,
        "created_by": obj.created_by,
        "file_id": row.id if row else None,
        "url": _file_url(access, row.id if row else None),
    }


def _roi_out(db: DB, access: Access, state: State, obj: AnnotationObject, *, detail: bool) -> RoiOut:
    ref = rois.reference_file_of(db, access, obj)
    out = RoiOut(**_common(db, access, obj), reference=ref.path if ref else None, reference_id=ref.id if ref else None)
    if detail and out.file_id is not None:
        info = rois.summary(rois.load(db, access, state.layout, obj))
        out = out.model_copy(update=info)
    return out


def _node(db: DB, access: Access, pid: str, sid: str | None) -> store.Node:
    if sid is None:
        return store.Node(nodes.get_patient(db, access, pid), None)
    study = nodes.get_study(db, access, pid, sid)
    return store.Node(study.patient, study)


def _object(db: DB, access: Access, node: store.Node, path: str) -> AnnotationObject:
    obj = store.find_object(db, access, node, path)
    if obj is None:
        raise NotFound(f"{path} is not an annotation of this case")
    return obj


async def _body(request: Request, state: State) -> bytes:
    limit = state.settings.max_upload_mb * 1024 * 1024
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise TooLarge(f"the ROI is larger than {state.settings.max_upload_mb} MB")
    if not data:
        raise InvalidInput("the request has no body: send the ROI as NIfTI (.nii or .nii.gz) bytes")
    return bytes(data)


def _saving(db: DB, action: Any) -> Any:
    """Run a save; a conflict's rejected content is committed (kept) before the 409 goes out."""
    try:
        result = action()
    except store.SaveConflict:
        db.commit()
        raise
    db.commit()
    return result


# ------------------------------------------------------------------------------------------------ ROIs


@router.get(f"{STUDY}/rois", response_model=list[RoiOut])
def list_rois(pid: str, sid: str, request: Request, access: ReadAccess, db: DB, state: State) -> list[RoiOut]:
    """The study's ROIs (``ROIS/*.nii.gz`` saved through the ROI tool), without their voxel summaries."""
    node = _node(db, access, pid, sid)
    found = visible(request, store.list_objects(db, access, node, rois.KIND))
    return [_roi_out(db, access, state, o, detail=False) for o in found]


@router.get(f"{STUDY}/rois/{{name}}", response_model=RoiOut)
def get_roi(pid: str, sid: str, name: str, access: ReadAccess, db: DB, state: State) -> RoiOut:
    """One ROI with its matrix, voxel count, volume and centre of gravity (world mm)."""
    obj = _object(db, access, _node(db, access, pid, sid), rois.roi_path(name))
    return _roi_out(db, access, state, obj, detail=True)


@router.put(
    f"{STUDY}/rois/{{name}}",
    response_model=RoiOut,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string"}}}}},
)
async def save_roi(
    pid: str,
    sid: str,
    name: str,
    request: Request,
    access: ProjectAccess,
    db: DB,
    state: State,
    reference: Annotated[int, Query(ge=1, le=2**62, description="the file id of the reference image")],
    base: Base = 0,
    tool: Annotated[str, Query(max_length=64)] = "roitool",
) -> RoiOut:
    """Save an ROI (NIfTI bytes, ``.nii`` or ``.nii.gz``) as the next version of ``ROIS/<name>.nii.gz``.

    ``base`` is the version the caller opened (0 for a new ROI); if someone saved meanwhile the answer is
    409 and the sent content is kept as a (rejected) version."""
    access.require_write()
    content = await _body(request, state)
    node = _node(db, access, pid, sid)
    ref = rois.reference_of(db, access, node, reference)
    saved = _saving(
        db, lambda: rois.save_roi(db, access, state.layout, node, name, content, reference=ref, base=base, tool=tool)
    )
    return _roi_out(db, access, state, saved.object, detail=True)


@router.delete(f"{STUDY}/rois/{{name}}", status_code=status.HTTP_204_NO_CONTENT)
def delete_roi(pid: str, sid: str, name: str, access: ProjectAccess, db: DB, state: State) -> None:
    """Remove the ROI's file from the study; its versions stay and can be restored."""
    obj = _object(db, access, _node(db, access, pid, sid), rois.roi_path(name))
    rois.delete_roi(db, access, state.layout, obj)
    db.commit()


@router.post(f"{STUDY}/rois/{{name}}/operations", response_model=RoiOut)
def roi_operation(
    pid: str, sid: str, name: str, body: RoiOperation, access: ProjectAccess, db: DB, state: State
) -> RoiOut:
    """Morphology, set operation, Remove Salt or fill holes on a saved ROI; the result is saved as a new
    version of ``output`` (default: the ROI itself, ``base`` its current version) or as a new ROI."""
    node = _node(db, access, pid, sid)
    obj = _object(db, access, node, rois.roi_path(name))
    other = _object(db, access, node, rois.roi_path(body.other)) if body.other else None
    saved = _saving(
        db,
        lambda: operations.apply(
            db,
            access,
            state.layout,
            obj,
            body.operation,
            other=other,
            iterations=body.iterations,
            min_voxels=body.min_voxels,
            output=body.output,
            base=body.base,
        ),
    )
    return _roi_out(db, access, state, saved.object, detail=True)


@router.get(f"{STUDY}/rois/{{name}}/stats", response_model=list[StatsRow])
def roi_stats(
    pid: str,
    sid: str,
    name: str,
    access: ReadAccess,
    db: DB,
    state: State,
    image: Annotated[list[DbInt], Query(max_length=64, description="file ids of the images")],
) -> list[StatsRow]:
    """NORA's ROIstats of each image within the ROI (the image resampled onto the ROI grid if needed)."""
    obj = _object(db, access, _node(db, access, pid, sid), rois.roi_path(name))
    images = [files.get_file(db, access, i) for i in image]
    return [StatsRow.model_validate(r) for r in operations.stats(db, access, state.layout, obj, images)]


@router.get(
    f"{STUDY}/seg",
    response_class=Response,
    responses={200: {"content": {"application/dicom": {}}}},
)
def seg_export(
    pid: str,
    sid: str,
    access: ReadAccess,
    db: DB,
    state: State,
    roi: Annotated[list[str], Query(min_length=1, max_length=64, description="ROI names (segments)")],
) -> Response:
    """The ROIs as one DICOM Segmentation referencing the study's kept originals (needs the download right)."""
    study = nodes.get_study(db, access, pid, sid)
    data = segio.export_study_rois(db, access, state.layout, study, [rois.roi_path(n) for n in roi])
    db.commit()  # the audit entry
    name = f"{pid}_{sid}_{'_'.join(roi)[:80]}_seg.dcm"
    return Response(
        data, media_type="application/dicom", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# ------------------------------------------------------------------------------------------- markers


@router.get("/patients/{pid}/markers", response_model=list[MarkersOut])
def list_markers(pid: str, request: Request, access: ReadAccess, db: DB) -> list[MarkersOut]:
    """The patient's marker sets (``annotations/*.json``)."""
    node = _node(db, access, pid, None)
    found = visible(request, store.list_objects(db, access, node, markers.KIND))
    return [MarkersOut(**_common(db, access, o)) for o in found]


@router.get("/patients/{pid}/markers/{name}", response_model=MarkersOut)
def get_markers(pid: str, name: str, access: ReadAccess, db: DB, state: State) -> MarkersOut:
    obj = _object(db, access, _node(db, access, pid, None), markers.marker_path(name))
    doc = markers.load(db, access, state.layout, obj) if store.file_of(db, obj) else None
    return MarkersOut(**_common(db, access, obj), markers=doc)


@router.put("/patients/{pid}/markers/{name}", response_model=MarkersOut)
def save_markers(
    pid: str, name: str, body: markers.MarkerSet, access: ProjectAccess, db: DB, state: State, base: Base = 0
) -> MarkersOut:
    """Save a marker set as the next version of ``annotations/<name>.json`` (409 when someone saved meanwhile)."""
    if body.name != name:
        raise InvalidInput(f"the body names the marker set {body.name!r}, the address {name!r}")
    node = _node(db, access, pid, None)
    saved = _saving(db, lambda: markers.save_markers(db, access, state.layout, node, body, base=base))
    return MarkersOut(**_common(db, access, saved.object), markers=body)


@router.delete("/patients/{pid}/markers/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_markers(pid: str, name: str, access: ProjectAccess, db: DB, state: State) -> None:
    obj = _object(db, access, _node(db, access, pid, None), markers.marker_path(name))
    store.delete(db, access, state.layout, obj)
    db.commit()


# ------------------------------------------------------------------------------------------- versions


def _versions_out(access: Access, obj: AnnotationObject, rows: list[Any]) -> list[VersionOut]:
    base = f"/api/projects/{access.project.name}/annotations/{obj.id}/versions"
    return [
        VersionOut(
            number=v.number,
            based_on=v.based_on,
            rejected=v.rejected,
            size=v.size,
            sha256=v.sha256,
            tool=v.tool,
            saved_by=v.saved_by,
            saved_at=v.saved_at,
            url=f"{base}/{v.number}/content",
        )
        for v in rows
    ]


@router.get("/annotations/{object_id}/versions", response_model=list[VersionOut])
def versions(object_id: DbInt, access: ReadAccess, db: DB) -> list[VersionOut]:
    """Every saved version of an ROI or marker set, oldest first (rejected ones: conflicting saves kept)."""
    obj = store.get_object(db, access, object_id)
    return _versions_out(access, obj, store.list_versions(db, obj))


@router.get(
    "/annotations/{object_id}/versions/{number}/content",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def version_content(
    object_id: DbInt, number: DbInt, request: Request, access: ReadAccess, db: DB, state: State, download: bool = False
) -> Response:
    """A version's bytes (the ROI's NIfTI, the marker set's JSON); ``download=true`` needs the download right."""
    obj = store.get_object(db, access, object_id)
    require_download_unless_viewing(request, access, download)
    data = store.version_content(state.layout, store.get_version(db, obj, number))
    kind = "application/json" if obj.path.endswith(".json") else "application/gzip"
    filename = f"{obj.path.rsplit('/', 1)[-1]}"
    disposition = "attachment" if download else "inline"
    return Response(
        data, media_type=kind, headers={"Content-Disposition": f'{disposition}; filename="v{number}-{filename}"'}
    )


@router.post("/annotations/{object_id}/versions/{number}/restore", response_model=AnnotationOut)
def restore(
    object_id: DbInt,
    number: DbInt,
    access: ProjectAccess,
    db: DB,
    state: State,
    base: Annotated[int, Body(embed=True, ge=0, le=2**31)],
) -> AnnotationOut:
    """Save an earlier (or rejected) version again as the newest one; ``base`` is the current version."""
    obj = store.get_object(db, access, object_id)
    data = store.version_content(state.layout, store.get_version(db, obj, number))
    node = store.node_of(db, obj)
    if obj.kind == rois.KIND:
        ref = rois.reference_file_of(db, access, obj)
        if ref is None:
            raise InvalidInput(f"the reference image of {obj.path} is gone: the ROI cannot be restored onto it")
        name = rois.name_of(obj.path)
        _saving(
            db,
            lambda: rois.save_roi(
                db, access, state.layout, node, name, data, reference=ref, base=base, tool=f"restore v{number}"
            ),
        )
    else:
        doc = markers.decode(data, obj.path)
        _saving(
            db, lambda: markers.save_markers(db, access, state.layout, node, doc, base=base, tool=f"restore v{number}")
        )
    db.refresh(obj)
    return AnnotationOut(**_common(db, access, obj))
