"""``nora --roistats SUBJECT ROIS IMAGES [--csv]``: one row per study, ROI and image, the ROIstats numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from nora.imaging.roi import STAT_COLUMNS
from tests.unit.cli.conftest import NIB, PROJECT, Cli


def _add_roi(cli: Cli, tmp: Path, psid: str, lo: int) -> np.ndarray:
    ref = nib.load(NIB / "anatomical.nii")
    mask = np.zeros(ref.shape, dtype=np.uint8)
    mask[lo : lo + 8, 10:20, 5:15] = 1
    path = tmp / f"lesion_{lo}" / "lesion.nii.gz"
    path.parent.mkdir()
    nib.save(nib.Nifti1Image(mask, ref.affine), path)
    cli.ok("-p", PROJECT, "--add", str(path), "--to", psid, "--folder", "ROIS")
    return mask.astype(bool)


def test_roistats_prints_a_row_per_study_roi_and_image(project: Cli, tmp_path: Path) -> None:
    m1 = _add_roi(project, tmp_path, "PAT1#20240101", 5)
    m2 = _add_roi(project, tmp_path, "PAT2#20230505", 12)
    rows = project.ok("-p", PROJECT, "--roistats", "*", "ROIS/*.nii.gz", "t1_mprage/*.nii").json()
    assert [(r["pid"], r["sid"], r["roi"], r["image"]) for r in rows] == [
        ("PAT1", "20240101", "ROIS/lesion.nii.gz", "t1_mprage/anatomical.nii"),
        ("PAT2", "20230505", "ROIS/lesion.nii.gz", "t1_mprage/anatomical.nii"),
    ]
    data = np.asarray(nib.load(NIB / "anatomical.nii").dataobj, dtype=np.float64)
    for row, mask in zip(rows, (m1, m2), strict=True):
        vals = data[mask]
        assert row["voxels"] == 8 * 10 * 10 and row["volume_ml"] == pytest.approx(800 * 8 / 1000)
        assert row["median"] == pytest.approx(np.median(vals)) and row["p25"] == pytest.approx(np.percentile(vals, 25))
        assert row["p75"] == pytest.approx(np.percentile(vals, 75)) and row["mean"] == pytest.approx(vals.mean())
        assert row["std"] == pytest.approx(vals.std()) and row["area_cm2"] is None
    out = project.ok("-p", PROJECT, "--roistats", "PAT2", "ROIS/*.nii.gz", "t1_mprage/*.nii", "--csv").out
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert list(row) == ["pid", "sid", "roi", "image", *STAT_COLUMNS]
    assert float(row["mean"]) == pytest.approx(rows[1]["mean"])


def test_roistats_errors_are_messages_with_exit_codes(project: Cli) -> None:
    bad = project("-p", PROJECT, "--roistats", "*", "ROIS/*.nii.gz")
    assert bad.code == 2 and "--roistats" in bad.err
    unknown = project("-p", "NOPE", "--roistats", "*", "ROIS/*", "*")
    assert unknown.code == 3 and "NOPE" in unknown.err
    nothing = project.ok("-p", PROJECT, "--roistats", "*", "ROIS/*.nii.gz", "t1_mprage/*.nii").json()
    assert nothing == []
    assert project("-p", PROJECT, "--roistats", "*", "a", "b", "--json").code == 2
