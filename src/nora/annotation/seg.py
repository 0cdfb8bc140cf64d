"""DICOM Segmentation objects from ROIs (highdicom) and ROIs from DICOM SEG.

Export: the ROIs of one reference image become the segments of one SEG object that references the study's
kept DICOM originals of that image (``<base>_dicom/*.dcm`` beside the converted ``<base>.nii.gz``), so a
viewer that reads SEG (OHIF, 3D Slicer) overlays it on the original series. The frames are the source
slices: each pixel centre of each source slice (DICOM LPS) is mapped to the ROI's voxel grid (NIfTI RAS) and
takes the nearest voxel's value, so the SEG is right whatever reordering or flips the conversion applied.

Import: each segment of a SEG becomes an ROI on a target grid (the converted image of the series it
references), by the same mapping backwards (every frame pixel sets its nearest voxel).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nora.annotation.rois import Grid, Roi
from nora.core.errors import CorruptFile, InvalidInput, NotFound

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])
SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


@dataclass(frozen=True)
class Plane:
    """Where a slice's pixels are: position of the first pixel, row/column directions, spacing (DICOM LPS)."""

    position: npt.NDArray[np.float64]
    row_dir: npt.NDArray[np.float64]  # direction of increasing column index
    col_dir: npt.NDArray[np.float64]  # direction of increasing row index
    spacing: tuple[float, float]  # (between rows, between columns) mm
    rows: int
    columns: int

    def voxel_indices(self, affine: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """The nearest voxel (i, j, k) of a grid for every pixel, shape (rows, columns, 3)."""
        r, c = np.meshgrid(np.arange(self.rows), np.arange(self.columns), indexing="ij")
        lps = (
            self.position[None, None, :]
            + c[..., None] * self.spacing[1] * self.row_dir[None, None, :]
            + r[..., None] * self.spacing[0] * self.col_dir[None, None, :]
        )
        ras = lps @ LPS_TO_RAS.T
        ijk = (ras - affine[:3, 3]) @ np.linalg.inv(affine[:3, :3]).T
        return np.asarray(np.rint(ijk), dtype=np.int64)


def make_plane(orientation: Any, position: Any, spacing: Any, rows: int, columns: int) -> Plane:
    try:
        orient = np.asarray([float(v) for v in orientation], dtype=np.float64)
        pos = np.asarray([float(v) for v in position], dtype=np.float64)
        space = [float(v) for v in spacing]
        if orient.shape != (6,) or pos.shape != (3,) or len(space) != 2:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput("a slice has no usable position, orientation or pixel spacing") from None
    return Plane(pos, orient[:3], orient[3:], (space[0], space[1]), int(rows), int(columns))


def plane_of(ds: Any) -> Plane:
    return make_plane(
        ds.get("ImageOrientationPatient"),
        ds.get("ImagePositionPatient"),
        ds.get("PixelSpacing"),
        int(ds.get("Rows", 0)),
        int(ds.get("Columns", 0)),
    )


def _sample(mask: npt.NDArray[np.bool_], affine: npt.NDArray[np.float64], plane: Plane) -> npt.NDArray[np.bool_]:
    ijk = plane.voxel_indices(affine)
    inside = np.all((ijk >= 0) & (ijk < np.asarray(mask.shape)[None, None, :]), axis=-1)
    out = np.zeros((plane.rows, plane.columns), dtype=bool)
    hit = ijk[inside]
    out[inside] = mask[hit[:, 0], hit[:, 1], hit[:, 2]]
    return out


def originals_folder(study_dir: Path, reference_path: str) -> Path:
    """The kept originals of a converted image: ``<base>_dicom/`` beside ``<base>.nii(.gz)``."""
    base = reference_path.removesuffix(".gz").removesuffix(".nii")
    return study_dir / f"{base}_dicom"


def load_originals(folder: Path, what: str) -> list[Any]:
    import pydicom

    files = sorted(folder.glob("*.dcm")) if folder.is_dir() else []
    if not files:
        raise NotFound(
            f"the DICOM originals of {what} were not kept (no {folder.name}/ folder): a DICOM SEG must reference "
            "them; import the series again with keep_originals (the project setting) or --keepdicom"
        )
    sources = []
    for path in files:
        try:
            ds = pydicom.dcmread(path)
        except Exception as exc:
            raise CorruptFile(f"original {path.name} of {what} is not readable DICOM: {exc}") from None
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            raise InvalidInput(f"{what}: SEG export of multi-frame originals is not supported yet")
        sources.append(ds)
    series = {str(ds.SeriesInstanceUID) for ds in sources}
    if len(series) != 1:
        raise InvalidInput(f"the originals of {what} belong to {len(series)} series, expected one")
    normal = np.cross(plane_of(sources[0]).row_dir, plane_of(sources[0]).col_dir)
    sources.sort(key=lambda ds: float(np.dot(plane_of(ds).position, normal)))
    return sources


def export(rois: list[tuple[str, Roi]], sources: list[Any], *, creator: str = "", version: str = "") -> Any:
    """A highdicom Segmentation (BINARY) with one segment per (label, ROI) over the source slices."""
    import highdicom as hd
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    if not rois:
        raise InvalidInput("no ROI to export")
    planes = [plane_of(ds) for ds in sources]
    frames = np.zeros((len(sources), planes[0].rows, planes[0].columns, len(rois)), dtype=bool)
    for s, (_label, roi) in enumerate(rois):
        for f, plane in enumerate(planes):
            frames[f, :, :, s] = _sample(roi.mask, roi.affine, plane)
    if not frames.any():
        raise InvalidInput("the ROIs do not overlap the original slices (empty, or drawn on another image)")
    descriptions = [
        hd.seg.SegmentDescription(
            segment_number=i + 1,
            segment_label=label[:64],
            segmented_property_category=codes.SCT.Tissue,
            segmented_property_type=codes.SCT.Tissue,
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        )
        for i, (label, _roi) in enumerate(rois)
    ]
    return hd.seg.Segmentation(
        source_images=sources,
        pixel_array=frames,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=9000 + int(sources[0].get("SeriesNumber", 0) or 0) % 1000,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="nora",
        manufacturer_model_name="nora ROI tool",
        software_versions=version or "nora",
        device_serial_number="0",
        content_label="ROI",
        content_description="ROIs exported by nora",
        content_creator_name=creator[:64] or None,
        omit_empty_frames=False,
    )


def is_seg(ds: Any) -> bool:
    return str(ds.get("SOPClassUID", "")) == SEG_SOP_CLASS


def referenced_series(ds: Any) -> str | None:
    seq = ds.get("ReferencedSeriesSequence") or []
    return str(seq[0].SeriesInstanceUID) if seq else None


def to_rois(ds: Any, grid: Grid) -> list[tuple[str, Roi]]:
    """Each segment of a SEG dataset as an ROI on ``grid`` (label from the segment's label)."""
    if not is_seg(ds):
        raise InvalidInput("not a DICOM Segmentation object")
    try:
        pixels = np.asarray(ds.pixel_array)
        shared = ds.SharedFunctionalGroupsSequence[0]
        orient = shared.PlaneOrientationSequence[0].ImageOrientationPatient
        spacing = shared.PixelMeasuresSequence[0].PixelSpacing
        per_frame = ds.PerFrameFunctionalGroupsSequence
        labels = {int(s.SegmentNumber): str(s.SegmentLabel) for s in ds.SegmentSequence}
    except (AttributeError, IndexError, KeyError, ValueError) as exc:
        raise CorruptFile(f"the SEG object lacks the geometry or segments it needs: {exc}") from None
    if pixels.ndim == 2:
        pixels = pixels[None]
    masks = {n: np.zeros(grid.shape, dtype=bool) for n in labels}
    shape = np.asarray(grid.shape)
    for f, group in enumerate(per_frame):
        ident = group.get("SegmentIdentificationSequence") or shared.get("SegmentIdentificationSequence")
        pos_seq = group.get("PlanePositionSequence") or shared.get("PlanePositionSequence")
        if not ident or not pos_seq:
            raise CorruptFile(f"frame {f + 1} of the SEG names no segment or position")
        number = int(ident[0].ReferencedSegmentNumber)
        pos = pos_seq[0].ImagePositionPatient
        ijk = make_plane(orient, pos, spacing, pixels.shape[1], pixels.shape[2]).voxel_indices(grid.affine)
        on = pixels[f] > 0
        inside = np.all((ijk >= 0) & (ijk < shape[None, None, :]), axis=-1) & on
        hit = ijk[inside]
        if number in masks:
            masks[number][hit[:, 0], hit[:, 1], hit[:, 2]] = True
    return [(labels[n], Roi(masks[n], grid.affine)) for n in sorted(masks)]
