"""ROIs: binary masks on a reference image's grid, stored as ``ROIS/<name>.nii.gz`` (uint8, gzip) in the study.

The NIfTI is NORA's ROI file (its scripts read ``ROIS/*.nii.gz``); the sidecar ``ROIS/<name>.json`` names the
reference file, the creator, the tool, the time and the version. A 3D ROI has the reference's matrix and
affine; a 2D ROI is one slice of that grid (matrix 1 along one axis, affine shifted to the slice).
Operations and statistics are :mod:`nora.imaging.roi`'s; this module loads, checks and saves.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from nora.annotation import store
from nora.annotation.models import AnnotationObject
from nora.archive.models import File
from nora.archive.services import files
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import CorruptFile, InvalidInput, NotFound
from nora.core.ids import check_name
from nora.imaging import roi as ops

ROI_FOLDER = "ROIS"
KIND = "roi"
#: the largest NIfTI header with extensions accepted in an ROI file
MAX_HEADER = 64 * 1024
#: a stored ROI (checked against its reference when saved) is read up to this many voxels
MAX_STORED = 2048**3


@dataclass(frozen=True)
class Grid:
    shape: tuple[int, int, int]
    affine: ops.Affine


@dataclass(frozen=True)
class Roi:
    mask: ops.Mask
    affine: ops.Affine


def roi_path(name: str) -> str:
    """``ROIS/<name>.nii.gz`` for an ROI name (a safe file name; a ``.nii.gz`` ending is accepted)."""
    base = name[: -len(".nii.gz")] if name.endswith(".nii.gz") else name
    return f"{ROI_FOLDER}/{check_name(base, 'ROI name')}.nii.gz"


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".nii.gz")


def grid_of(row: File) -> Grid:
    """The voxel grid of an indexed volume (from its header summary)."""
    dims, affine = row.header.get("dims"), row.header.get("affine")
    if not isinstance(dims, list) or len(dims) < 2 or affine is None:
        raise InvalidInput(f"{row.path} is not a volume with a voxel grid ({row.format}): choose an image as reference")
    shape = tuple(int(d) for d in (dims + [1, 1])[:3])
    return Grid((shape[0], shape[1], shape[2]), np.asarray(affine, dtype=np.float64))


def _gunzip(content: bytes, limit: int) -> bytes:
    """The decompressed bytes, never more than ``limit`` of them (a decompression bomb is refused early)."""
    if content[:2] != b"\x1f\x8b":
        raw = content
    else:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(content, limit + 1)
        except zlib.error as exc:
            raise CorruptFile(f"the ROI is not a valid gzip stream: {exc}") from None
    if len(raw) > limit:
        raise InvalidInput(f"the ROI is larger than its reference's grid allows: more than {limit} bytes")
    return raw


def decode(content: bytes, voxels: int) -> Roi:
    """An ROI from NIfTI bytes (``.nii`` or ``.nii.gz``): voxels 0 are outside, anything else inside.

    ``voxels``: at most this many (the reference grid's); the decompressed size is bounded by it."""
    import nibabel as nib

    raw = _gunzip(content, MAX_HEADER + 8 * voxels)
    try:
        img: Any = nib.Nifti1Image.from_bytes(raw)
        data = np.asanyarray(img.dataobj)
    except Exception as exc:
        raise CorruptFile(f"the ROI is not a readable NIfTI-1 image: {exc}") from None
    affine = np.asarray(img.affine, dtype=np.float64)
    return Roi(ops.as_mask(data), affine)


def encode(r: Roi) -> bytes:
    """The ROI as gzipped NIfTI-1, uint8 0/1, with sform and qform set to its affine."""
    import nibabel as nib

    img: Any = nib.Nifti1Image(r.mask.astype(np.uint8), r.affine)  # type: ignore[no-untyped-call]
    img.set_sform(r.affine, code=2)
    img.set_qform(r.affine, code=2)
    img.header["descrip"] = b"nora ROI"
    return gzip.compress(img.to_bytes(), compresslevel=6, mtime=0)


def check_grid(r: Roi, ref: Grid, ref_name: str) -> None:
    """The ROI is on the reference's grid, or is one slice of it; else :class:`InvalidInput`."""
    if ops.same_grid(r.mask.shape, r.affine, ref.shape, ref.affine):
        return
    for axis in range(3):
        if r.mask.shape[axis] != 1 or any(r.mask.shape[a] != ref.shape[a] for a in range(3) if a != axis):
            continue
        # a slice: same axes, origin moved by a whole number of voxels along ``axis``
        shift = np.linalg.solve(ref.affine[:3, :3], r.affine[:3, 3] - ref.affine[:3, 3])
        index = round(float(shift[axis]))
        if (
            np.allclose(r.affine[:3, :3], ref.affine[:3, :3], atol=ops.GRID_TOLERANCE)
            and 0 <= index < ref.shape[axis]
            and np.allclose(np.delete(shift, axis), 0, atol=1e-3)
            and abs(shift[axis] - index) < 1e-3
        ):
            return
    raise InvalidInput(
        f"the ROI's grid (matrix {list(r.mask.shape)}) is not the grid of its reference {ref_name} "
        f"(matrix {list(ref.shape)}) nor one slice of it: draw it on the reference, or reslice it first"
    )


def sidecar(reference: File, access: Access, tool: str, version: int, details: dict[str, Any] | None = None) -> bytes:
    """The ROI's sidecar; ``details`` adds what made it (a job's model name and version ...)."""
    doc = {
        **(details or {}),
        "reference": reference.path,
        "reference_file_id": reference.id,
        "creator": access.actor.username,
        "tool": tool,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": version,
        "format": "nora ROI: NIfTI-1 uint8 mask (0 outside, 1 inside) on the reference's grid",
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def reference_of(session: Any, access: Access, node: store.Node, reference_id: int) -> File:
    row = files.get_file(session, access, reference_id)
    if row.patient_id != node.patient.id:
        raise InvalidInput(f"the reference {row.path} belongs to another patient")
    return row


def save_roi(
    session: Any,
    access: Access,
    layout: Layout,
    node: store.Node,
    name: str,
    content: bytes | Roi,
    *,
    reference: File,
    base: int,
    tool: str = "",
    details: dict[str, Any] | None = None,
) -> store.Saved:
    """Check the ROI against its reference's grid and save it as the next version of ``ROIS/<name>``."""
    if node.study is None:
        raise InvalidInput("ROIs belong to a study: choose a study")
    grid = grid_of(reference)
    r = content if isinstance(content, Roi) else decode(content, int(np.prod(grid.shape)))
    check_grid(r, grid, reference.path)
    path = roi_path(name)
    return store.save(
        session,
        access,
        layout,
        node,
        KIND,
        path,
        encode(r),
        base=base,
        tool=tool,
        extra={sidecar_path(path): sidecar(reference, access, tool, base + 1, details)},
        reference_id=reference.id,
    )


def load(session: Any, access: Access, layout: Layout, obj: AnnotationObject) -> Roi:
    row = store.file_of(session, obj)
    if obj.kind != KIND or row is None:
        raise NotFound(f"{obj.path} is not a saved ROI (deleted?): restore a version first")
    raw = files.file_location(session, layout, access, row).read_bytes()
    return decode(raw, MAX_STORED)


def reference_file_of(session: Any, access: Access, obj: AnnotationObject) -> File | None:
    """The ROI's reference image, if it is still indexed."""
    if obj.reference_id is None:
        return None
    row: File | None = session.get(File, obj.reference_id)
    return row


def sidecar_path(path: str) -> str:
    return path.removesuffix(".nii.gz") + ".json"


def delete_roi(session: Any, access: Access, layout: Layout, obj: AnnotationObject) -> None:
    store.delete(session, access, layout, obj, extra=(sidecar_path(obj.path),))


def summary(r: Roi) -> dict[str, Any]:
    voxels = int(r.mask.sum())
    centre = ops.centre_of_gravity(r.mask, r.affine)
    return {
        "matrix": list(r.mask.shape),
        "voxels": voxels,
        "volume_ml": voxels * ops.voxel_volume_mm3(r.affine) / 1000.0,
        "is_2d": ops.is_2d(r.mask.shape),
        "centre": list(centre) if centre else None,
    }
