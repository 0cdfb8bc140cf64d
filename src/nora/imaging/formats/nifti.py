"""NIfTI-1 and NIfTI-2 single files (``.nii``, ``.nii.gz``), recognised by the magic ``n+1`` / ``n+2``.

The header is parsed from the first bytes only; the voxel data is never read, but the content length is
checked against what the header declares so that a truncated file is refused. A clean NIfTI-1 header (one
that nibabel's checks would leave as it is: what dcm2niix writes) is read field by field from its 348
bytes (:func:`quick_summary`); any other goes through nibabel, which checks, fixes or refuses it.
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


#: NIfTI-1 datatype codes of plain numbers (the others go through nibabel)
_DTYPES = {
    2: "uint8",
    4: "int16",
    8: "int32",
    16: "float32",
    64: "float64",
    256: "int8",
    512: "uint16",
    768: "uint32",
    1024: "int64",
    1280: "uint64",
}
#: qform/sform codes nibabel knows (unknown, scanner, aligned, talairach, mni, template)
_XFORM_CODES = frozenset(range(6))


def quick_summary(head: bytes) -> tuple[dict[str, Any], int] | None:
    """:func:`header_summary` of a clean NIfTI-1 header and the bytes its data needs, without nibabel.

    Clean: nibabel's checks would pass it unchanged (sizes, magic, datatype and bitpix, positive voxel
    sizes, qfac, offset, codes) and nothing in it needs nibabel's special cases (intents, FreeSurfer's
    shape hacks, RGB or complex data). None for any other header: it goes through nibabel. Parsing through
    nibabel costs a millisecond per volume in generic checks, most of indexing a small converted series.
    """
    if len(head) < NIFTI1_SIZE or head[344:348] != _MAGIC_N1:
        return None
    order = next((o for o in "<>" if struct.unpack_from(o + "i", head)[0] == NIFTI1_SIZE), None)
    if order is None:
        return None
    dim = struct.unpack_from(order + "8h", head, 40)
    intent, datatype, bitpix = struct.unpack_from(order + "3h", head, 68)
    pixdim = struct.unpack_from(order + "8f", head, 76)
    (vox_offset,) = struct.unpack_from(order + "f", head, 108)
    qform_code, sform_code = struct.unpack_from(order + "2h", head, 252)
    ndim, dtype = dim[0], _DTYPES.get(datatype)
    shape = dim[1 : ndim + 1]
    if (
        dtype is None
        or not 1 <= ndim <= 7
        or any(d <= 0 for d in shape)
        or shape[:3] == (27307, 1, 6)  # nibabel reads FreeSurfer's ico7 surface as another shape
        or bitpix != np.dtype(dtype).itemsize * 8
        or not all(p > 0 for p in pixdim[1:4])
        or pixdim[0] not in (-1.0, 1.0)
        or intent != 0
        or qform_code not in _XFORM_CODES
        or sform_code not in _XFORM_CODES
        or vox_offset < 352
        or vox_offset % 16
    ):
        return None
    affine = _quick_affine(head, order, sform_code, qform_code, dim, pixdim)
    if affine is None:
        return None
    out = spatial_summary(shape, pixdim[1 : ndim + 1], np.dtype(dtype), affine)
    out["version"] = "nifti1"
    out["byte_order"] = "big" if order == ">" else "little"
    out["description"] = text(head[148:228])
    out["qform_code"], out["sform_code"], out["intent"] = qform_code, sform_code, "none"
    return out, int(vox_offset) + int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize


def _quick_affine(
    head: bytes, order: str, sform_code: int, qform_code: int, dim: tuple[int, ...], pixdim: tuple[float, ...]
) -> Any:
    """nibabel's ``get_best_affine``: the sform when coded, else the qform when coded, else from the voxel
    sizes; None where nibabel would raise (the quaternion is not a unit one)."""
    if sform_code:
        rows = struct.unpack_from(order + "12f", head, 280)
        return np.array([rows[0:4], rows[4:8], rows[8:12], (0.0, 0.0, 0.0, 1.0)])
    import nibabel as nib
    from nibabel import quaternions as untyped

    if not qform_code:  # rare: from the voxel sizes alone, as nibabel does it
        header: Any = nib.Nifti1Header
        return header(head[:NIFTI1_SIZE], check=False).get_base_affine()
    quaternions: Any = untyped  # nibabel's functions are untyped
    quat = struct.unpack_from(order + "6f", head, 256)
    try:  # float32 as in the header, so that w comes out exactly as nibabel's
        wxyz = quaternions.fillpositive(np.array(quat[:3], np.float32), nib.Nifti1Header.quaternion_threshold)
    except ValueError:
        return None
    vox = np.array(pixdim[1:4], np.float32)
    vox[-1] *= np.float32(pixdim[0])
    out = np.eye(4)
    out[0:3, 0:3] = np.dot(quaternions.quat2mat(wxyz), np.diag(vox))
    out[0:3, 3] = np.array(quat[3:6], np.float32)
    return out


def _sniff(probe: Probe) -> bool:
    return nifti_version(probe.head, (_MAGIC_N1, _MAGIC_N2)) is not None


def _summarise(probe: Probe) -> dict[str, Any]:
    quick = quick_summary(probe.head)
    if quick is not None:
        out, needed = quick
    else:
        version = nifti_version(probe.head, (_MAGIC_N1, _MAGIC_N2)) or 1  # sniffed: 1 or 2
        hdr = parse_header(probe.head, version, probe.name)
        out = header_summary(hdr, version)
        needed = int(hdr.get_data_offset()) + data_bytes(hdr)
    require_data(probe, "the voxel data declared by the NIfTI header", needed)
    return out


SPEC = FormatSpec(
    name="nifti",
    extensions=("nii",),
    min_size=NIFTI1_SIZE,
    sniff=_sniff,
    summarise=_summarise,
)
