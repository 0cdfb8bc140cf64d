"""The annotation layer's batch jobs (built-ins registered in the processing catalog through the ``nora.jobs``
entry point): ROI morphology, Remove Salt and fill holes, set operations of two ROIs.

Statistics over a cohort are the core ``roi_stats`` job (per study, JSON or CSV) and ``nora --roistats``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nora.core.atomic import atomic_write
from nora.processing.catalog import ArgDecl, Builtin, Values, load_volume


def _load_roi(path: str) -> Any:
    from nora.annotation.rois import Roi
    from nora.imaging.roi import as_mask

    img = load_volume(path)
    return Roi(as_mask(np.asanyarray(img.dataobj), path), np.asarray(img.affine, dtype=np.float64))


def _write(roi: Any, path: str) -> None:
    import io

    from nora.annotation.rois import encode

    atomic_write(Path(path), io.BytesIO(encode(roi)))


def morphology(v: Values) -> None:
    from nora.annotation.operations import compute

    roi = _load_roi(str(v["input"]))
    result = compute(
        roi,
        str(v.get("operation") or "dilate"),
        iterations=int(float(v.get("iterations") or 1)),
        min_voxels=int(float(v.get("min_voxels") or 10)),
    )
    _write(result, str(v["output"]))


def set_operation(v: Values) -> None:
    from nora.annotation.operations import compute

    result = compute(_load_roi(str(v["a"])), str(v.get("operation") or "union"), other=_load_roi(str(v["b"])))
    _write(result, str(v["output"]))


_OUT = ArgDecl("output", "OUT", "the resulting ROI, e.g. ROIS/result.nii.gz")

BUILTINS = (
    Builtin(
        "roi_morphology",
        "ROI morphology",
        "Erode, dilate, open or close an ROI (6-neighbourhood, 4 in a single slice), fill its holes or remove "
        "components smaller than min_voxels (Remove Salt); the result is an ROI on the same grid.",
        (
            ArgDecl("input", "FILE", "the ROI (a mask, non-zero inside)"),
            ArgDecl(
                "operation",
                "OPTION",
                "the operation",
                default="dilate",
                options=("erode", "dilate", "open", "close", "fill_holes", "remove_salt"),
            ),
            ArgDecl("iterations", "NUMERIC", "voxels deep (morphology)", required=False, default=1.0),
            ArgDecl("min_voxels", "NUMERIC", "smallest component kept (Remove Salt)", required=False, default=10.0),
            _OUT,
        ),
        morphology,
    ),
    Builtin(
        "roi_setop",
        "ROI set operation",
        "Union, intersection or difference (a without b) of two ROIs on the same grid.",
        (
            ArgDecl("a", "FILE", "the first ROI"),
            ArgDecl("b", "FILE", "the second ROI"),
            ArgDecl(
                "operation", "OPTION", "the operation", default="union", options=("union", "intersection", "difference")
            ),
            _OUT,
        ),
        set_operation,
    ),
)
