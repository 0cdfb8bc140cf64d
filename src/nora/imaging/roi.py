"""ROI operations and statistics on numpy arrays and affines, shared by routes, jobs, the CLI and tests.

An ROI is a binary mask on the voxel grid of a reference image (its ``affine`` and matrix). A 2D ROI is a
mask with one slice along one axis; its neighbourhoods are the in-plane ones. Every operation returns a new
``bool`` array and leaves its inputs alone.

Neighbourhoods are NORA's: 6-neighbourhood (faces) in 3D, 4-neighbourhood in a single slice. The
statistics use numpy's default (linear) percentile definition, the same the web page's ROIstats computes,
so both agree on every number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from nora.core.errors import InvalidInput

Mask = npt.NDArray[np.bool_]
Affine = npt.NDArray[np.float64]
Morphology = Literal["erode", "dilate", "open", "close"]
SetOperation = Literal["union", "intersection", "difference"]

#: grids whose affines differ by less than this (mm) are the same grid
GRID_TOLERANCE = 1e-4


def as_mask(data: npt.ArrayLike, what: str = "ROI") -> Mask:
    """A 3D boolean mask from any array of 0/non-zero values (a trailing 4th axis of length 1 is dropped)."""
    arr = np.asarray(data)
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise InvalidInput(f"{what} must be a 3D mask, got an array of shape {list(arr.shape)}")
    return np.asarray(arr != 0, dtype=bool)


def neighbourhood(shape: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    """The face-connected structuring element, restricted to the axes of ``shape`` longer than one voxel."""
    from scipy import ndimage

    structure: npt.NDArray[np.bool_] = ndimage.generate_binary_structure(3, 1)
    for axis, size in enumerate(shape[:3]):
        if size == 1:
            index: list[slice | int] = [slice(None)] * 3
            for off in (0, 2):
                index[axis] = off
                structure[tuple(index)] = False
    return structure


def morphology(mask: Mask, operation: Morphology, iterations: int = 1) -> Mask:
    """Erosion, dilation, opening or closing with the 6-neighbourhood, ``iterations`` voxels deep."""
    from scipy import ndimage

    if iterations < 1:
        raise InvalidInput(f"iterations must be at least 1, got {iterations}")
    structure = neighbourhood(mask.shape)
    fn = {
        "erode": ndimage.binary_erosion,
        "dilate": ndimage.binary_dilation,
        "open": ndimage.binary_opening,
        "close": ndimage.binary_closing,
    }.get(operation)
    if fn is None:
        raise InvalidInput(f"unknown morphology {operation!r}: use erode, dilate, open or close")
    if operation == "close":
        # no border effect: the grid is extended by repeating its border voxels, closed, and cropped back
        pad = [(iterations, iterations) if s > 1 else (0, 0) for s in mask.shape]
        padded = np.pad(mask, pad, mode="edge")
        closed = ndimage.binary_closing(padded, structure=structure, iterations=iterations)
        crop = tuple(slice(p[0], p[0] + s) for p, s in zip(pad, mask.shape, strict=True))
        return np.asarray(closed[crop], dtype=bool)
    return np.asarray(fn(mask, structure=structure, iterations=iterations), dtype=bool)


def combine(a: Mask, b: Mask, operation: SetOperation) -> Mask:
    """Union, intersection or difference (``a`` without ``b``) of two ROIs on the same grid."""
    if a.shape != b.shape:
        raise InvalidInput(f"the ROIs have different matrices {list(a.shape)} and {list(b.shape)}")
    if operation == "union":
        return a | b
    if operation == "intersection":
        return a & b
    if operation == "difference":
        return a & ~b
    raise InvalidInput(f"unknown set operation {operation!r}: use union, intersection or difference")


def components(mask: Mask) -> tuple[npt.NDArray[np.int32], int]:
    """Face-connected components: a label array (0 outside) and the number of components."""
    from scipy import ndimage

    labels, count = ndimage.label(mask, structure=neighbourhood(mask.shape))
    return np.asarray(labels, dtype=np.int32), int(count)


def remove_salt(mask: Mask, min_voxels: int) -> Mask:
    """NORA's Remove Salt: drop the connected components with fewer than ``min_voxels`` voxels."""
    if min_voxels < 1:
        raise InvalidInput(f"the minimum component size must be at least 1 voxel, got {min_voxels}")
    labels, count = components(mask)
    if count == 0:
        return mask.copy()
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    keep = sizes >= min_voxels
    keep[0] = False
    return np.asarray(keep[labels], dtype=bool)


def fill_holes(mask: Mask) -> Mask:
    """Fill the background regions not connected to the grid's border (6-neighbourhood)."""
    from scipy import ndimage

    return np.asarray(ndimage.binary_fill_holes(mask, structure=neighbourhood(mask.shape)), dtype=bool)


def region_grow(
    image: npt.NDArray[np.floating] | npt.NDArray[np.integer],
    seed: tuple[int, int, int],
    low: float,
    high: float,
    *,
    within: Mask | None = None,
) -> Mask:
    """The face-connected region of voxels with ``low <= value <= high`` that contains ``seed``.

    ``within`` restricts the growth (e.g. to a slice for a 2D pen). Empty when the seed is outside the range.
    """
    from scipy import ndimage

    if image.ndim != 3:
        raise InvalidInput(f"region growing needs a 3D image, got shape {list(image.shape)}")
    if any(not 0 <= c < s for c, s in zip(seed, image.shape, strict=True)):
        raise InvalidInput(f"seed {list(seed)} is outside the image matrix {list(image.shape)}")
    if low > high:
        raise InvalidInput(f"the lower limit {low} is above the upper limit {high}")
    inside = (image >= low) & (image <= high)
    if within is not None:
        inside &= within
    if not inside[seed]:
        return np.zeros(image.shape, dtype=bool)
    labels, _ = ndimage.label(inside, structure=neighbourhood(image.shape))
    return np.asarray(labels == labels[seed], dtype=bool)


def same_grid(shape_a: tuple[int, ...], affine_a: Affine, shape_b: tuple[int, ...], affine_b: Affine) -> bool:
    return tuple(shape_a[:3]) == tuple(shape_b[:3]) and bool(
        np.allclose(affine_a, affine_b, atol=GRID_TOLERANCE, rtol=0)
    )


def resample_to(
    data: npt.NDArray[np.floating] | npt.NDArray[np.integer],
    affine: Affine,
    shape: tuple[int, int, int],
    target_affine: Affine,
    *,
    order: int = 1,
) -> npt.NDArray[np.float64]:
    """``data`` (3D, on ``affine``) sampled at the voxel centres of the target grid; NaN outside the image."""
    from scipy import ndimage

    vox = np.linalg.inv(affine) @ target_affine  # target voxel -> source voxel
    grid = np.indices(shape, dtype=np.float64).reshape(3, -1)
    src = vox[:3, :3] @ grid + vox[:3, 3:4]
    values = ndimage.map_coordinates(np.asarray(data, dtype=np.float64), src, order=order, mode="nearest")
    outside = np.zeros(src.shape[1], dtype=bool)
    for axis, size in enumerate(data.shape[:3]):
        outside |= (src[axis] < -0.5) | (src[axis] > size - 0.5)
    values[outside] = np.nan
    return np.asarray(values.reshape(shape), dtype=np.float64)


@dataclass(frozen=True)
class RoiStats:
    """NORA's ROIstats for one image within one ROI (values of voxels in the ROI; NaN voxels left out)."""

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

    def row(self) -> dict[str, float | int | None]:
        return {
            "voxels": self.voxels,
            "volume_ml": self.volume_ml,
            "area_cm2": self.area_cm2,
            "mean": self.mean,
            "std": self.std,
            "median": self.median,
            "p25": self.p25,
            "p75": self.p75,
            "min": self.min,
            "max": self.max,
        }


#: the statistics' column names, in the order the CLI, the CSV and the page show them
STAT_COLUMNS = tuple(RoiStats.__dataclass_fields__)


def is_2d(mask_shape: tuple[int, ...]) -> bool:
    return sum(1 for s in mask_shape[:3] if s == 1) >= 1


def voxel_volume_mm3(affine: Affine) -> float:
    return float(abs(np.linalg.det(affine[:3, :3])))


def in_plane_area_mm2(shape: tuple[int, ...], affine: Affine) -> float:
    """The area of one voxel face in the plane of a 2D ROI (the two axes longer than one voxel)."""
    axes = [i for i, s in enumerate(shape[:3]) if s > 1][:2]
    if len(axes) < 2:
        axes = [i for i in range(3) if i not in axes][: 2 - len(axes)] + axes
    u, v = affine[:3, axes[0]], affine[:3, axes[1]]
    return float(np.linalg.norm(np.cross(u, v)))


def roi_stats(
    image: npt.NDArray[np.floating] | npt.NDArray[np.integer],
    image_affine: Affine,
    mask: Mask,
    mask_affine: Affine,
) -> RoiStats:
    """ROIstats of a 3D image (first frame of a 4D one) within a mask, the image resampled onto the ROI grid
    (trilinear) when the grids differ."""
    data = np.asarray(image)
    if data.ndim > 3:
        data = data.reshape(data.shape[:3] + (-1,))[..., 0]
    if data.ndim != 3:
        raise InvalidInput(f"ROI statistics need a 3D image, got shape {list(data.shape)}")
    if same_grid(data.shape, image_affine, mask.shape, mask_affine):
        values = data[mask].astype(np.float64)  # only the voxels inside become float64, not the whole image
    else:
        shape3 = (int(mask.shape[0]), int(mask.shape[1]), int(mask.shape[2]))
        values = resample_to(data, image_affine, shape3, mask_affine)[mask]
    finite = np.isfinite(values)
    if not finite.all():
        values = values[finite]
    voxels = int(np.count_nonzero(mask))
    area = in_plane_area_mm2(mask.shape, mask_affine) * voxels / 100.0 if is_2d(mask.shape) else None
    if values.size == 0:
        return RoiStats(voxels, voxels * voxel_volume_mm3(mask_affine) / 1000.0, area, *([None] * 7))
    p25, median, p75 = (float(x) for x in np.percentile(values, [25, 50, 75]))
    return RoiStats(
        voxels=voxels,
        volume_ml=voxels * voxel_volume_mm3(mask_affine) / 1000.0,
        area_cm2=area,
        mean=float(values.mean()),
        std=float(values.std()),
        median=median,
        p25=p25,
        p75=p75,
        min=float(values.min()),
        max=float(values.max()),
    )


def centre_of_gravity(mask: Mask, affine: Affine) -> tuple[float, float, float] | None:
    """The world position (RAS mm) of the ROI's centre of gravity, or None for an empty ROI."""
    idx = np.argwhere(mask)
    if idx.size == 0:
        return None
    centre = affine @ np.append(idx.mean(axis=0), 1.0)
    return float(centre[0]), float(centre[1]), float(centre[2])
