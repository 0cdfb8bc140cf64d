"""ROI operations and statistics on saved ROIs (the REST routes, the batch jobs and the CLI use these)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from nora.annotation import rois, store
from nora.annotation.models import AnnotationObject
from nora.archive.models import File
from nora.archive.services import files
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput
from nora.imaging import roi as ops

Operation = Literal[
    "erode", "dilate", "open", "close", "fill_holes", "remove_salt", "union", "intersection", "difference"
]
MORPHOLOGY = ("erode", "dilate", "open", "close")
SET_OPERATIONS = ("union", "intersection", "difference")


def compute(
    a: rois.Roi, operation: str, *, other: rois.Roi | None = None, iterations: int = 1, min_voxels: int = 10
) -> rois.Roi:
    """The result of one operation on ``a`` (and ``other`` for set operations), on ``a``'s grid."""
    if operation in MORPHOLOGY:
        mask = ops.morphology(a.mask, operation, iterations)  # type: ignore[arg-type]
    elif operation == "fill_holes":
        mask = ops.fill_holes(a.mask)
    elif operation == "remove_salt":
        mask = ops.remove_salt(a.mask, min_voxels)
    elif operation in SET_OPERATIONS:
        if other is None:
            raise InvalidInput(f"{operation} needs a second ROI ('other')")
        if not ops.same_grid(a.mask.shape, a.affine, other.mask.shape, other.affine):
            raise InvalidInput("the two ROIs are not on the same grid: draw both on the same reference image")
        mask = ops.combine(a.mask, other.mask, operation)  # type: ignore[arg-type]
    else:
        raise InvalidInput(f"unknown ROI operation {operation!r}: use {', '.join(Operation.__args__)}")  # type: ignore[attr-defined]
    return rois.Roi(mask, a.affine)


def apply(
    session: Any,
    access: Access,
    layout: Layout,
    obj: AnnotationObject,
    operation: str,
    *,
    other: AnnotationObject | None = None,
    iterations: int = 1,
    min_voxels: int = 10,
    output: str | None = None,
    base: int = 0,
) -> store.Saved:
    """Apply an operation to a saved ROI and save the result (a new version of ``output``, default the ROI)."""
    access.require_write()
    a = rois.load(session, access, layout, obj)
    b = rois.load(session, access, layout, other) if other is not None else None
    result = compute(a, operation, other=b, iterations=iterations, min_voxels=min_voxels)
    ref = rois.reference_file_of(session, access, obj)
    if ref is None:
        raise InvalidInput(f"the reference image of {obj.path} is gone: save the result as a file instead")
    node = store.node_of(session, obj)
    name = output or rois.name_of(obj.path)
    return rois.save_roi(session, access, layout, node, name, result, reference=ref, base=base, tool=operation)


def load_image(path: str) -> tuple[np.ndarray[Any, Any], ops.Affine]:
    from nora.processing.catalog import load_volume

    img = load_volume(path)
    return np.asanyarray(img.dataobj), np.asarray(img.affine, dtype=np.float64)


def stats_rows(name: str, r: rois.Roi, images: list[tuple[str, int, str]]) -> list[dict[str, Any]]:
    """ROIstats rows of one ROI against images given as (label, file id, path on disk)."""
    rows = []
    for label, file_id, path in images:
        data, affine = load_image(path)
        s = ops.roi_stats(data, affine, r.mask, r.affine)
        rows.append({"roi": name, "image": label, "image_id": file_id, **s.row()})
    return rows


def stats(
    session: Any, access: Access, layout: Layout, obj: AnnotationObject, images: list[File]
) -> list[dict[str, Any]]:
    r = rois.load(session, access, layout, obj)
    for row in images:
        if row.patient_id != obj.patient_id:
            raise InvalidInput(f"{row.path} belongs to another patient than the ROI {obj.path}")
    located = [(row.path, row.id, str(files.file_location(session, layout, access, row))) for row in images]
    return stats_rows(rois.name_of(obj.path), r, located)
