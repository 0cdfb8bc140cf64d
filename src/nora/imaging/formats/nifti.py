"""NIfTI-1 and NIfTI-2 single files (``.nii``, ``.nii.gz``), recognised by the magic ``n+1`` / ``n+2``.

The header is parsed by nibabel from the first bytes only; the voxel data is never read, but the content
length is checked against what the header declares so that a truncated file is refused.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from nora.core.errors import CorruptFile
from nora.imaging.formats.base import FormatSpec, Probe, require_data, spatial_summary, text

NIFTI1_SIZE = 348
NIFTI2_SIZE = 540
_MAGIC_N1 = b"n+1\0"
_MAGIC_N2 = b"n+2\0"


def sizeof_hdr(head: bytes) -> int | None:
    """The ``sizeof_hdr`` field (348 or 540) read in either byte order, or None if it is neither."""
    if len(head) < 4:
        return None
    for order in "<>":
        (value,) = struct.unpack(order + "i", head[:4])
        if value in (NIFTI1_SIZE, NIFTI2_SIZE):
            return int(value)
    return None


def nifti_version(head: bytes, magics: tuple[bytes, bytes]) -> int | None:
    """1 or 2 when ``head`` starts a NIfTI-1/NIfTI-2 header carrying one of ``magics`` (n1, n2)."""
    size = sizeof_hdr(head)
    if size == NIFTI1_SIZE and head[344:348] == magics[0]:
        return 1
    if size == NIFTI2_SIZE and head[4:8] == magics[1]:
        return 2
    return None


def parse_header(head: bytes, version: int, label: str) -> Any:
    """A nibabel header of the given version (0 for Analyze) from the first bytes of a file."""
    import nibabel as nib

    klass: Any = {0: nib.Spm2AnalyzeHeader, 1: nib.Nifti1Header, 2: nib.Nifti2Header}[version]
    size = int(klass.template_dtype.itemsize)
    if len(head) < size:
        raise CorruptFile(f"{label}: header needs {size} bytes but the content has only {len(head)}")
    return klass(head[:size], check=True)


def header_summary(hdr: Any, version: int) -> dict[str, Any]:
    """dims, voxel size, dtype, affine, orientation and the NIfTI codes of a nibabel header."""
    shape = hdr.get_data_shape()
    if not shape or any(int(d) <= 0 for d in shape):
        raise CorruptFile(f"image dimensions {list(shape)} are not all positive")
    out = spatial_summary(shape, hdr.get_zooms(), hdr.get_data_dtype(), hdr.get_best_affine())
    out["version"] = {0: "analyze", 1: "nifti1", 2: "nifti2"}[version]
    out["byte_order"] = "big" if hdr.endianness == ">" else "little"
    out["description"] = text(hdr["descrip"])
    if version:
        out["qform_code"] = int(hdr["qform_code"])
        out["sform_code"] = int(hdr["sform_code"])
        out["intent"] = str(hdr.get_intent()[0])
    return out


def data_bytes(hdr: Any) -> int:
    """Bytes of voxel data the header declares (shape x item size)."""
    shape = hdr.get_data_shape()
    return int(np.prod(shape, dtype=np.int64)) * int(hdr.get_data_dtype().itemsize)


def _sniff(probe: Probe) -> bool:
    return nifti_version(probe.head, (_MAGIC_N1, _MAGIC_N2)) is not None


def _summarise(probe: Probe) -> dict[str, Any]:
    version = nifti_version(probe.head, (_MAGIC_N1, _MAGIC_N2)) or 1  # sniffed: 1 or 2
    hdr = parse_header(probe.head, version, probe.name)
    out = header_summary(hdr, version)
    offset = int(hdr.get_data_offset())
    require_data(probe, "the voxel data declared by the NIfTI header", offset + data_bytes(hdr))
    return out


SPEC = FormatSpec(
    name="nifti",
    extensions=("nii",),
    min_size=NIFTI1_SIZE,
    sniff=_sniff,
    summarise=_summarise,
)
