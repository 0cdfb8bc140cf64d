"""The ``roi`` output registrar: a segmentation job's mask becomes an ROI of the annotation layer.

Called by the engine (``nora.output_registrars`` entry point) when the job succeeded: the mask the job wrote
at ``ROIS/<name>.nii.gz`` is saved as the next version of that ROI (a new ROI at version 1), on the grid of its
reference image (the job's input), with a sidecar naming the tool, the model and its version. An output
elsewhere than ``ROIS/*.nii.gz`` is indexed as a plain file.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.annotation import rois, store
from nora.archive.models import File
from nora.archive.services import files, nodes
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NoraError
from nora.segmentation.jobs import model_folder
from nora.segmentation.modelfile import read_model


def details_of(spec: dict[str, Any]) -> dict[str, Any]:
    """What made the mask: the job, the model's name, version and folder (patchwork) or deepbet's version."""
    job = str(spec.get("job", ""))
    values = spec.get("values") or {}
    if job == "patchwork_apply":
        folder = model_folder(values)
        try:
            doc = read_model(folder)
            return {"job": job, "model": doc.name, "model_version": doc.version, "model_path": str(values["model"])}
        except NoraError:
            return {"job": job, "model": folder.name, "model_path": str(values.get("model", ""))}
    if job == "brain_extraction":
        try:
            return {"job": job, "model": "deepbet", "model_version": version("deepbet")}
        except PackageNotFoundError:
            return {"job": job, "model": "deepbet"}
    return {"job": job}


def _file_row(session: Session, access: Access, layout: Layout, path: Path) -> File | None:
    _project, pid, sid, rel = layout.locate(path)
    study = nodes.get_study(session, access, pid, sid) if sid else None
    if study is None:
        return None
    found: File | None = session.scalar(select(File).where(File.study_id == study.id, File.path == rel))
    return found


def register_roi(
    session: Session, access: Access, layout: Layout, out: dict[str, Any], spec: dict[str, Any]
) -> list[int]:
    """Save the output as an ROI of its study (the ids of the files indexed)."""
    path = Path(str(out["path"]))
    _project, pid, sid, rel = layout.locate(path)
    given = str(out.get("reference") or "")
    reference = _file_row(session, access, layout, Path(given)) if given else None
    probability = (spec.get("values") or {}).get("output_type") == "probability"
    if (
        probability
        or sid is None
        or not rel.startswith(f"{rois.ROI_FOLDER}/")
        or not rel.endswith(".nii.gz")
        or reference is None
    ):
        return [files.register_existing(session, access, layout, path).id]
    study = nodes.get_study(session, access, pid, sid)
    node = store.Node(study.patient, study)
    roi = rois.decode(path.read_bytes(), rois.MAX_STORED)
    existing = store.find_object(session, access, node, rel)
    name = rois.name_of(rel)
    if "/" in rel.removeprefix(f"{rois.ROI_FOLDER}/"):
        raise InvalidInput(f"an ROI lies directly in {rois.ROI_FOLDER}/, not in {rel}")
    saved = rois.save_roi(
        session,
        access,
        layout,
        node,
        name,
        roi,
        reference=reference,
        base=existing.current if existing is not None else 0,
        tool=str(spec.get("job", "job")),
        details=details_of(spec),
    )
    return [saved.file.id]
