"""FreeSurfer MGH volumes (``.mgh``, gzip-wrapped ``.mgz``).

MGH has no magic: a header is recognised by version 1 (big-endian int32 at offset 0), four positive
dimensions of plausible size and a known data type code. The voxel data starts at byte 284; an optional
footer (scan parameters, tags) follows it, so the content must be at least 284 + the data size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nora.core.errors import CorruptFile
from nora.imaging.formats.base import FormatSpec, Probe, require_data, spatial_summary

DATA_OFFSET = 284
_FIXED_HEADER = 90
#: FreeSurfer type codes nibabel reads: uchar, int, float, short, ushort.
_TYPES = {0: "uint8", 1: "int32", 3: "float32", 4: "int16", 10: "uint16"}
_MAX_DIM = 1 << 20
_HEAD_DTYPE = np.dtype([("version", ">i4"), ("dims", ">i4", (4,)), ("type", ">i4")])


def _fields(head: bytes) -> tuple[int, list[int], int] | None:
    if len(head) < _HEAD_DTYPE.itemsize:
        return None
    rec = np.frombuffer(head, dtype=_HEAD_DTYPE, count=1)[0]
    return int(rec["version"]), [int(d) for d in rec["dims"]], int(rec["type"])


def _sniff(probe: Probe) -> bool:
    fields = _fields(probe.head)
    if fields is None:
        return False
    version, dims, code = fields
    return version == 1 and all(0 < d < _MAX_DIM for d in dims) and code in _TYPES


def _summarise(probe: Probe) -> dict[str, Any]:
    from nibabel.freesurfer import mghformat

    header_class: Any = mghformat.MGHHeader  # nibabel's class is untyped

    if len(probe.head) < _FIXED_HEADER:
        raise CorruptFile(
            f"{probe.name}: an MGH header needs {_FIXED_HEADER} bytes but the content has only {len(probe.head)}"
        )
    hdr = header_class(probe.head[:_FIXED_HEADER], check=True)
    shape = [int(d) for d in hdr.get_data_shape()]
    out = spatial_summary(shape, hdr.get_zooms()[:3], hdr.get_data_dtype(), hdr.get_affine())
    out["ras_good"] = bool(hdr["goodRASFlag"])
    out["type_code"] = int(hdr["type"])
    require_data(probe, "the voxel data declared by the MGH header", DATA_OFFSET + int(hdr.get_data_size()))
    return out


SPEC = FormatSpec(
    name="mgh",
    extensions=("mgh", "mgz"),
    min_size=_FIXED_HEADER,
    sniff=_sniff,
    summarise=_summarise,
)
