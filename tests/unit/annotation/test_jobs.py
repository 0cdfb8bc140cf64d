"""The annotation batch jobs are in the processing catalog (entry point) and compute what imaging.roi does."""

from __future__ import annotations

import csv
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nora.imaging import roi
from nora.processing.catalog import CATALOG, CORE
from nora.processing.spec import JobArg, check_builtin


def _save(mask: np.ndarray, path: Path, affine: np.ndarray | None = None) -> str:
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), np.eye(4) if affine is None else affine), path)
    return str(path)


def _box() -> np.ndarray:
    m = np.zeros((12, 12, 12), dtype=bool)
    m[3:9, 3:9, 3:9] = True
    return m


def test_the_features_jobs_are_listed_beside_the_core_ones_and_validated() -> None:
    assert {"roi_morphology", "roi_setop"} <= set(CATALOG) and "roi_morphology" not in CORE
    assert CATALOG["roi_morphology"].title == "ROI morphology"
    check_builtin(
        "roi_morphology",
        [
            JobArg(name="input", type="FILE", value="ROIS/a.nii.gz"),
            JobArg(name="output", type="OUT", value="ROIS/b.nii.gz"),
        ],
    )


def test_morphology_and_set_operation_jobs_write_rois(tmp_path: Path) -> None:
    a = _save(_box(), tmp_path / "a.nii.gz")
    shifted = np.roll(_box(), 2, axis=0)
    b = _save(shifted, tmp_path / "b.nii.gz")
    CATALOG["roi_morphology"].run(
        {"input": a, "operation": "erode", "iterations": 1.0, "output": str(tmp_path / "e.nii.gz")}
    )
    eroded = np.asarray(nib.load(tmp_path / "e.nii.gz").dataobj)
    assert eroded.dtype == np.uint8 and np.array_equal(eroded.astype(bool), roi.morphology(_box(), "erode"))
    CATALOG["roi_setop"].run({"a": a, "b": b, "operation": "intersection", "output": str(tmp_path / "i.nii.gz")})
    inter = np.asarray(nib.load(tmp_path / "i.nii.gz").dataobj).astype(bool)
    assert inter.sum() == 4 * 6 * 6 and np.array_equal(inter, _box() & shifted)


def test_roi_stats_job_resamples_and_has_the_roistats_columns(tmp_path: Path) -> None:
    image = np.arange(12**3, dtype=np.float32).reshape(12, 12, 12)
    img = tmp_path / "img.nii.gz"
    nib.save(nib.Nifti1Image(image, np.eye(4)), img)
    half = np.zeros((6, 6, 6), dtype=bool)
    half[1:3, 1:3, 1:3] = True  # on a 2 mm grid: voxel i sits at image voxel 2i
    mask = _save(half, tmp_path / "m.nii.gz", np.diag([2.0, 2.0, 2.0, 1.0]))
    out = tmp_path / "stats.csv"
    CATALOG["roi_stats"].run({"images": [str(img)], "masks": [mask], "output": str(out)})
    (row,) = list(csv.DictReader(out.open()))
    expected = roi.roi_stats(image, np.eye(4), half, np.diag([2.0, 2.0, 2.0, 1.0]))
    assert set(roi.STAT_COLUMNS) <= set(row)
    assert float(row["mean"]) == expected.mean and float(row["p75"]) == expected.p75
    assert float(row["volume_ml"]) == pytest.approx(8 * 8 / 1000)
