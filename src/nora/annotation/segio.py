"""DICOM SEG of the archive's ROIs: export a study's ROIs against their kept originals; SEG files to ROIs."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import nora
from nora.annotation import rois, seg, store
from nora.annotation.models import AnnotationObject
from nora.archive.models import File, Study
from nora.archive.services import audit, files
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NotFound


def _reference_path(session: Session, access: Access, layout: Layout, study: Study, row: File) -> str:
    """The reference image of an ROI file: its annotation object's, else its sidecar's ``reference``."""
    obj = session.scalar(
        select(AnnotationObject).where(AnnotationObject.study_id == study.id, AnnotationObject.path == row.path)
    )
    if obj is not None and obj.reference_id is not None:
        ref = session.get(File, obj.reference_id)
        if ref is not None:
            return ref.path
    side = files.file_location(session, layout, access, row).parent / rois.sidecar_path(row.path).rsplit("/", 1)[-1]
    try:
        found = json.loads(side.read_text()).get("reference")
    except (OSError, ValueError, AttributeError):
        found = None
    if not isinstance(found, str) or not found:
        raise InvalidInput(f"{row.path} names no reference image (no ROI sidecar): save it with the ROI tool first")
    return found


def export_study_rois(session: Session, access: Access, layout: Layout, study: Study, paths: list[str]) -> bytes:
    """One DICOM SEG (bytes) with a segment per ROI file of ``paths`` (all drawn on the same reference)."""
    access.require_download()
    if not paths:
        raise InvalidInput("name at least one ROI")
    rows = []
    for path in paths:
        row = session.scalar(select(File).where(File.study_id == study.id, File.path == path))
        if row is None:
            raise NotFound(f"{path} is not a file of study {study.sid}")
        rows.append(row)
    references = {_reference_path(session, access, layout, study, r) for r in rows}
    if len(references) != 1:
        raise InvalidInput(f"the ROIs are drawn on {len(references)} different images; a SEG covers one series")
    (reference,) = references
    study_dir = layout.study_dir(access.project.name, study.patient.pid, study.sid)
    sources = seg.load_originals(seg.originals_folder(study_dir, reference), reference)
    loaded = [
        (
            rois.name_of(r.path),
            rois.decode(files.file_location(session, layout, access, r).read_bytes(), rois.MAX_STORED),
        )
        for r in rows
    ]
    dataset: Any = seg.export(loaded, sources, creator=access.actor.username, version=nora.__version__)
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    audit.record(
        session,
        access.actor,
        "roi.segexport",
        project=access.project.name,
        target=f"{study.patient.pid}#{study.sid}",
        rois=paths,
    )
    return buffer.getvalue()


def import_seg(
    session: Session, access: Access, layout: Layout, study: Study, dataset: Any, reference: File
) -> list[store.Saved]:
    """Each segment of a SEG dataset as an ROI ``ROIS/<segment label>.nii.gz`` on ``reference``'s grid."""
    saved = []
    node = store.Node(study.patient, study)
    for label, roi in seg.to_rois(dataset, rois.grid_of(reference)):
        name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label).strip("._-") or "segment"
        existing = store.find_object(session, access, node, rois.roi_path(name))
        base = existing.current if existing else 0
        saved.append(
            rois.save_roi(session, access, layout, node, name, roi, reference=reference, base=base, tool="seg")
        )
    return saved


def _image_of(session: Session, study: Study, base: str) -> File | None:
    names = [f"{base}.nii.gz", f"{base}.nii"]
    return session.scalar(select(File).where(File.study_id == study.id, File.path.in_(names)))


def _reference_for_series(
    session: Session, access: Access, layout: Layout, study: Study, series_uid: str
) -> File | None:
    """The converted image (NIfTI) of a series of ``study``: found through its kept originals
    (``<base>_dicom/*.dcm``, whose indexed headers name their series), or, where the project keeps no
    originals, through the import's sidecar ``<base>.json`` (``NoraImport.SeriesInstanceUID``)."""
    for row in session.scalars(select(File).where(File.study_id == study.id, File.format == "dicom")):
        if "_dicom/" in row.path and row.header.get("series_instance_uid") == series_uid:
            return _image_of(session, study, row.path.split("_dicom/", 1)[0])
    sidecars = select(File).where(File.study_id == study.id, File.path.endswith(".json"))
    for row in session.scalars(sidecars):
        if row.path.startswith(f"{rois.ROI_FOLDER}/"):
            continue
        try:
            data = json.loads(files.file_location(session, layout, access, row).read_text())
        except (OSError, ValueError):
            continue
        imported = data.get("NoraImport") if isinstance(data, dict) else None
        if isinstance(imported, dict) and imported.get("SeriesInstanceUID") == series_uid:
            image = _image_of(session, study, row.path.removesuffix(".json"))
            if image is not None:
                return image
    return None


def after_import(sessions: Any, layout: Layout, actor: Any, project: str, report: Any) -> None:
    """An import step: every DICOM SEG the import kept becomes ROIs on the converted image of the series it
    references (a line per SEG in the report's warnings says what became of it)."""
    import pydicom

    from nora.archive.db import transaction
    from nora.archive.services import nodes
    from nora.archive.services.access import project_access
    from nora.core.ids import Psid

    for obj in [o for o in report.objects if o.kind == "SEG"]:
        if not obj.paths:
            report.warnings.append(f"SEG {obj.name} of {obj.study} was not kept, so no ROIs were made from it")
            continue
        psid = Psid.parse(obj.study)
        with transaction(sessions) as session:
            access = project_access(session, actor, project)
            study = nodes.get_study(session, access, psid.pid, psid.sid or "")
            folder = layout.study_dir(project, psid.pid, study.sid)
            made: list[str] = []
            for rel in obj.paths:
                ds = pydicom.dcmread(folder / rel)
                series = seg.referenced_series(ds)
                ref = _reference_for_series(session, access, layout, study, series) if series else None
                if ref is None:
                    report.warnings.append(
                        f"SEG {rel} of {obj.study} references a series that is not in the study: kept as DICOM only"
                    )
                    continue
                made += [s.object.path for s in import_seg(session, access, layout, study, ds, ref)]
            if made:
                report.warnings.append(f"SEG {obj.name} of {obj.study}: ROIs {', '.join(made)}")
