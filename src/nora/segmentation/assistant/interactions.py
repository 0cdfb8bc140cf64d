"""The assistant's interactions in world coordinates (RAS mm) and their voxels on the session's image grid.

The page sends what the user drew where they drew it: points, scribbles (polylines), 2D boxes and lassos
(closed polygons) on a plane of any 2D viewport, and initial masks (an ROI of the study or a mask file).
Because everything is in world coordinates, a point set in the axial view and a box drawn in the coronal
view refine the same 3D result. :func:`to_voxels` maps one interaction onto the image grid once, at the
boundary; the backends only see :class:`VoxelInteraction` values.

A plane is one of the viewer's three: ``axial`` (the world z of the drawing is constant), ``coronal``
(y constant) or ``sagittal`` (x constant). A box or lasso covers the voxels whose centres lie within half a
voxel of the plane and inside the rectangle or polygon, so on an oblique image it follows the drawn plane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nora.core.errors import InvalidInput
from nora.imaging.roi import Affine, Mask

Plane = Literal["axial", "coronal", "sagittal"]
#: the world axis held constant on each plane, and the two world axes spanning it
NORMAL: dict[str, int] = {"sagittal": 0, "coronal": 1, "axial": 2}
#: the most points one scribble or lasso may have
MAX_POINTS = 4096

Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]
WorldPoint = Annotated[list[Coordinate], Field(min_length=3, max_length=3, description="x, y, z in RAS mm")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlicesIn(_Body):
    """NORA's N: the step's answer changes the result on these slices only (elsewhere it stays as it was).
    ``plane``: the viewport's plane; ``from`` and ``to``: world points (the crosshair when N was pressed
    and released) whose coordinate along the plane's normal bounds the slices; ``to`` absent: one slice."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    plane: Plane
    from_: WorldPoint = Field(alias="from", serialization_alias="from")
    to: WorldPoint | None = None


class _Step(_Body):
    slices: SlicesIn | None = Field(
        None, description="NORA's N: the answer changes the result on these slices of a plane only"
    )


class PointsIn(_Step):
    """One or more clicks, each positive (left click) or negative (right click); one undo step."""

    kind: Literal["points"]
    points: list[WorldPoint] = Field(min_length=1, max_length=64)
    positive: list[bool] = Field(
        min_length=1, max_length=64, description="per point: true adds to the structure, false removes"
    )

    @model_validator(mode="after")
    def _same_length(self) -> PointsIn:
        if len(self.points) != len(self.positive):
            raise ValueError(f"give one sign per point: {len(self.points)} points, {len(self.positive)} signs")
        return self


class ScribbleIn(_Step):
    """A polyline drawn over the structure (positive) or over what is not part of it (negative)."""

    kind: Literal["scribble"]
    points: list[WorldPoint] = Field(min_length=1, max_length=MAX_POINTS)
    positive: bool = True


class BoxIn(_Step):
    """A 2D box on a slice: two opposite corners on the plane (a positive box holds the structure)."""

    kind: Literal["box"]
    plane: Plane
    corners: list[WorldPoint] = Field(min_length=2, max_length=2)
    positive: bool = True


class LassoIn(_Step):
    """A closed polygon on a plane: its inside is (positive) or is not (negative) part of the structure."""

    kind: Literal["lasso"]
    plane: Plane
    points: list[WorldPoint] = Field(min_length=3, max_length=MAX_POINTS)
    positive: bool = True


class PackedMaskIn(_Body):
    """A mask on the session's grid, packed as the results are (``bbox-packbits-gzip-base64``): the page's
    current content of the ROI, saved or not."""

    lo: list[Annotated[int, Field(ge=0, le=2**16)]] = Field(min_length=3, max_length=3)
    hi: list[Annotated[int, Field(ge=0, le=2**16)]] = Field(min_length=3, max_length=3)
    data: str = Field(max_length=48_000_000, description="base64 of gzip of the box's bits (C order, LSB first)")


class MaskIn(_Step):
    """An initial mask: an ROI of the study (``roi``), any mask file of the study (``file_id``) or the
    page's own mask (``packed``)."""

    kind: Literal["mask"]
    roi: str | None = Field(None, max_length=128, description="an ROI name of the image's study")
    file_id: int | None = Field(None, ge=1, le=2**31 - 1, description="a mask file of the image's study")
    packed: PackedMaskIn | None = Field(None, description="a mask on the image's grid, packed like the results")
    positive: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> MaskIn:
        if sum(x is not None for x in (self.roi, self.file_id, self.packed)) != 1:
            raise ValueError("name exactly one source of the mask: 'roi', 'file_id' or 'packed'")
        return self


Interaction = Annotated[PointsIn | ScribbleIn | BoxIn | LassoIn | MaskIn, Field(discriminator="kind")]

Kind = Literal["point", "scribble", "box", "lasso", "mask"]
Index = npt.NDArray[np.intp]


@dataclass(frozen=True)
class VoxelInteraction:
    """One interaction on the image grid.

    ``voxels``: (N, 3) indices: the clicked voxels, the scribble's voxels, the lasso's inside on its slab,
    the box's inside on its slab, or a mask's voxels. ``box``: for a box, ``(lo, hi)`` inclusive voxel
    bounds (one axis of extent 1: the slab). ``plane_voxels``: for box and lasso, every voxel of the slab
    within the drawing's bounds (what the drawing says something about)."""

    kind: Kind
    positive: bool
    voxels: Index
    box: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None
    plane_voxels: Index | None = None
    samples: Index | None = None


def world_to_voxel(affine: Affine, points: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """(N, 3) world points (RAS mm) as continuous voxel indices of the grid."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    inv = np.linalg.inv(affine)
    return np.asarray(pts @ inv[:3, :3].T + inv[:3, 3], dtype=np.float64)


def _inside(index: npt.NDArray[np.float64], shape: tuple[int, int, int], what: str) -> Index:
    rounded = np.rint(index).astype(np.intp)
    bad = np.any((rounded < 0) | (rounded >= np.asarray(shape)), axis=1)
    if bad.any():
        raise InvalidInput(f"the {what} lies outside the image (matrix {list(shape)}): draw it on the image")
    return rounded


def _polyline(index: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The polyline sampled every 0.4 voxel, so consecutive samples never skip a voxel."""
    parts = [index[:1]]
    for a, b in zip(index[:-1], index[1:], strict=True):
        steps = max(1, math.ceil(float(np.abs(b - a).max()) / 0.4))
        t = np.linspace(0.0, 1.0, steps + 1)[1:, None]
        parts.append(a + t * (b - a))
    return np.concatenate(parts)


def _slab(
    affine: Affine, shape: tuple[int, int, int], plane: Plane, corners: npt.NDArray[np.float64]
) -> tuple[Index, npt.NDArray[np.float64]]:
    """The voxels of the image on the plane's slab (within half a voxel of it), with their 2D in-plane
    world coordinates."""
    normal = NORMAL[plane]
    level = float(np.median(corners[:, normal]))
    half = 0.5 * float(np.abs(affine[normal, :3]).max())  # half a voxel along the normal
    # the voxel-space bounds of the slab: solve along the voxel axis that moves the normal coordinate most
    axis = int(np.argmax(np.abs(affine[normal, :3])))
    others = [a for a in range(3) if a != axis]
    grid = np.stack(np.meshgrid(*(np.arange(shape[a]) for a in others), indexing="ij"), axis=-1).reshape(-1, 2)
    base = grid @ affine[normal, others] + affine[normal, 3]
    centre = (level - base) / affine[normal, axis]
    reach = half / abs(affine[normal, axis]) + 1.0
    parts = []
    for offset in range(-int(np.ceil(reach)), int(np.ceil(reach)) + 1):
        at = np.rint(centre).astype(np.intp) + offset
        ok = (at >= 0) & (at < shape[axis])
        vox = np.zeros((int(ok.sum()), 3), dtype=np.intp)
        vox[:, axis] = at[ok]
        vox[:, others] = grid[ok]
        parts.append(vox)
    cells = np.unique(np.concatenate(parts), axis=0)
    world = cells @ affine[:3, :3].T + affine[:3, 3]
    on_plane = np.abs(world[:, normal] - level) <= half + 1e-6
    in_plane = [a for a in range(3) if a != normal]
    return cells[on_plane], world[on_plane][:, in_plane]


def _in_polygon(pts: npt.NDArray[np.float64], poly: npt.NDArray[np.float64]) -> Mask:
    """Even-odd rule: which 2D points lie inside the closed polygon."""
    x, y = pts[:, 0], pts[:, 1]
    inside = np.zeros(len(pts), dtype=bool)
    for (x1, y1), (x2, y2) in zip(poly, np.roll(poly, -1, axis=0), strict=True):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (x2 - x1) * (y - y1) / (y2 - y1) + x1
        inside ^= crosses & (x < at)
    return inside


def to_voxels(
    item: PointsIn | ScribbleIn | BoxIn | LassoIn, affine: Affine, shape: tuple[int, int, int]
) -> list[VoxelInteraction]:
    """The interaction on the grid (a points interaction gives one value per sign present)."""
    if isinstance(item, PointsIn):
        index = _inside(world_to_voxel(affine, item.points), shape, "point")
        signs = np.asarray(item.positive)
        return [
            VoxelInteraction("point", sign, index[signs == sign]) for sign in (True, False) if (signs == sign).any()
        ]
    if isinstance(item, ScribbleIn):
        index = _inside(_polyline(world_to_voxel(affine, item.points)), shape, "scribble")
        return [VoxelInteraction("scribble", item.positive, np.unique(index, axis=0))]
    corners = np.asarray(item.corners if isinstance(item, BoxIn) else item.points, dtype=np.float64)
    _inside(world_to_voxel(affine, corners[:1]), shape, item.kind)
    slab, flat = _slab(affine, shape, item.plane, corners)
    axes = [a for a in range(3) if a != NORMAL[item.plane]]
    if isinstance(item, BoxIn):
        lo2, hi2 = corners[:, axes].min(axis=0), corners[:, axes].max(axis=0)
        chosen = np.all((flat >= lo2 - 1e-6) & (flat <= hi2 + 1e-6), axis=1)
    else:
        chosen = _in_polygon(flat, corners[:, axes])
    inside = slab[chosen]
    if len(inside) == 0:
        raise InvalidInput(f"the {item.kind} holds no voxel centre of the image: draw it larger")
    if isinstance(item, LassoIn):
        return [VoxelInteraction("lasso", item.positive, inside, plane_voxels=slab)]
    lo, hi = inside.min(axis=0), inside.max(axis=0)
    bounds = ((int(lo[0]), int(lo[1]), int(lo[2])), (int(hi[0]), int(hi[1]), int(hi[2])))
    return [VoxelInteraction("box", item.positive, inside, box=bounds, plane_voxels=slab)]


def slab_of(slices: SlicesIn, affine: Affine, shape: tuple[int, int, int]) -> Mask:
    """The voxels whose centres lie on the slices (within half a voxel of the range along the normal)."""
    normal = NORMAL[slices.plane]
    ends = [slices.from_[normal], (slices.to or slices.from_)[normal]]
    half = 0.5 * float(np.abs(affine[normal, :3]).max())
    lo, hi = min(ends) - half - 1e-6, max(ends) + half + 1e-6
    row = affine[normal]
    out = np.zeros(shape, dtype=bool)
    moving = [a for a in range(3) if abs(row[a]) > 1e-9]
    if len(moving) == 1:  # the usual grid: the slices are a range of one voxel axis
        axis = moving[0]
        at = np.arange(shape[axis]) * row[axis] + row[3]
        index: list[slice | npt.NDArray[np.bool_]] = [slice(None)] * 3
        index[axis] = (at >= lo) & (at <= hi)
        out[tuple(index)] = True
    else:
        ijk = np.ogrid[: shape[0], : shape[1], : shape[2]]
        at = ijk[0] * row[0] + ijk[1] * row[1] + ijk[2] * row[2] + row[3]
        out = np.asarray((at >= lo) & (at <= hi), dtype=bool)
    if not out.any():
        raise InvalidInput(f"the slices of 'slices' lie outside the image (matrix {list(shape)}): choose slices of it")
    return out


def mask_interaction(mask: Mask, positive: bool) -> VoxelInteraction:
    """An initial (or removing) mask on the grid as an interaction."""
    from scipy import ndimage

    voxels = np.argwhere(mask).astype(np.intp)
    if not len(voxels):
        return VoxelInteraction("mask", positive, voxels, samples=voxels)
    lo, hi = voxels.min(axis=0), voxels.max(axis=0) + 1
    crop = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    depth = ndimage.distance_transform_edt(np.pad(mask[crop], 1))[1:-1, 1:-1, 1:-1]
    deep = np.argwhere(depth >= 0.5 * float(depth.max())) + lo
    return VoxelInteraction("mask", positive, voxels, samples=deep[:: max(1, len(deep) // 20000)].astype(np.intp))
